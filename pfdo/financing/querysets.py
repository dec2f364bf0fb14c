"""Who sees which financing periods: approved ones are public; drafts only to their officials."""

from __future__ import annotations

from django.db.models import Q

from pfdo.common.querysets import ScopedQuerySet


def period_visibility(user, prefix: str = "") -> Q | None:
    """Q of the periods `user` may read (None: all of them)."""
    public = Q(**{f"{prefix}status__in": ["approved", "closed"]})
    if not user or not user.is_authenticated:
        return public
    if user.is_superuser:
        return None
    return public | _official_scope(user, prefix)


def _official_scope(user, prefix: str = "") -> Q:
    """Q of the periods of the municipalities where `user` works as an official."""
    return Q(
        **{f"{prefix}municipality_id__in": user.municipality_ids_for("operator", "payer")}
    ) | Q(**{f"{prefix}municipality__region_id__in": user.region_ids_for("regional_admin")})


class FinancingPeriodQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = period_visibility(user)
        return self.all() if q is None else self.filter(q)

    def in_official_scope(self, user):
        """Periods of the user's own municipalities (the cabinet list), whatever their status."""
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(_official_scope(user))

    def covering(self, day):
        return self.filter(starts_on__lte=day, ends_on__gte=day)

    def overlapping(self, starts_on, ends_on):
        """Periods sharing at least one day with [starts_on, ends_on] (both inclusive)."""
        return self.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)


class NominalCategoryQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = period_visibility(user, "period__")
        return self.all() if q is None else self.filter(q)
