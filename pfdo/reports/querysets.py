"""Querysets of the reports' own data."""

from __future__ import annotations

from django.db import models

from pfdo.common.querysets import ScopedQuerySet


class ChildPopulationQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Operators see their municipalities, regional administrators their regions."""
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            models.Q(municipality_id__in=user.municipality_ids_for("operator"))
            | models.Q(municipality__region_id__in=user.region_ids_for("regional_admin"))
        )
