"""Filter pieces shared by the apps' FilterSets."""

from __future__ import annotations

import datetime as dt

import django_filters


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 moment, compared in UTC.

    Python accepts offsets up to ±23:59 but PostgreSQL only ±15:59, so a value such as
    2026-01-01T00:00+23:42 is converted to UTC before it reaches the database.
    """

    def filter(self, qs, value):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return super().filter(qs, value)
