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
    return (
        public
        | Q(**{f"{prefix}municipality_id__in": user.municipality_ids_for("operator", "payer")})
        | Q(**{f"{prefix}municipality__region_id__in": user.region_ids_for("regional_admin")})
    )


class FinancingPeriodQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = period_visibility(user)
        return self.all() if q is None else self.filter(q)

    def covering(self, day):
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class NominalCategoryQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = period_visibility(user, "period__")
        return self.all() if q is None else self.filter(q)
