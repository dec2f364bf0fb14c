"""Filter pieces shared by the apps' FilterSets."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment converted to UTC; a moment UTC cannot hold is a field error."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None or value.tzinfo is None:
            return value
        try:
            return value.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValidationError("Дата вне допустимого диапазона.", code="invalid") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 moment, compared in UTC.

    Python accepts offsets up to ±23:59 but PostgreSQL only ±15:59, so a value such as
    2026-01-01T00:00+23:42 is converted to UTC before it reaches the database, and
    0001-01-01T00:00+05:00 (before year 1 in UTC) is refused.
    """

    field_class = UtcIsoDateTimeField
