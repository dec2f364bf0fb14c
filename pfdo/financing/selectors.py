"""Read use-cases of financing periods: the current period, visible periods, a child's nominal."""

from __future__ import annotations

import datetime as dt

from pfdo.common import clock
from pfdo.financing.models import FinancingPeriod, NominalCategory
from pfdo.territory.models import Municipality


def current_period(municipality, day: dt.date | None = None) -> FinancingPeriod | None:
    """The approved period of `municipality` covering `day` (today by default)."""
    day = day or clock.today()
    return (
        FinancingPeriod.objects.filter(
            municipality=municipality, status=FinancingPeriod.Status.APPROVED
        )
        .covering(day)
        .prefetch_related("nominal_categories")
        .first()
    )


def periods_visible_to(user, *, municipality_code: str | None = None, active_on=None):
    """Periods `user` may read, newest first (public: approved and closed ones)."""
    qs = FinancingPeriod.objects.for_user(user).select_related("municipality__region")
    if municipality_code:
        qs = qs.filter(municipality__code=municipality_code)
    if active_on:
        qs = qs.covering(active_on)
    return qs.prefetch_related("nominal_categories").order_by("municipality__name", "-starts_on")


def periods_in_scope(user):
    """The cabinet list: every period (drafts too) of the user's own municipalities."""
    return (
        FinancingPeriod.objects.for_user(user)
        .in_official_scope(user)
        .select_related("municipality")
        .prefetch_related("nominal_categories")
        .order_by("municipality__name", "-starts_on")
    )


def manageable_municipalities(user):
    """Municipalities whose periods `user` may create: operator's own, region's, or all."""
    if not user or not user.is_authenticated:
        return Municipality.objects.none()
    qs = Municipality.objects.for_user(user).select_related("region")
    if user.is_superuser:
        return qs
    return qs.filter(id__in=user.municipality_ids_for("operator")) | qs.filter(
        region_id__in=user.region_ids_for("regional_admin")
    )


def categories_of(period: FinancingPeriod) -> list[NominalCategory]:
    """The period's nominal categories in display order (uses a prefetch if there is one)."""
    return sorted(
        period.nominal_categories.all(),
        key=lambda c: (c.age_from_months, c.disability_only, c.name),
    )


def largest_nominal_kopecks(period: FinancingPeriod) -> int:
    return max((c.nominal_kopecks for c in period.nominal_categories.all()), default=0)


def largest_promise_kopecks(period: FinancingPeriod) -> int:
    """What the period may promise at most: quota × the largest nominal."""
    return period.certificate_quota * largest_nominal_kopecks(period)


def nominal_for(
    period: FinancingPeriod, *, age_months: int, has_disability: bool
) -> NominalCategory | None:
    """The nominal category of a child of `age_months` (a ОВЗ-only category wins for ОВЗ)."""
    fitting = [
        c for c in categories_of(period) if c.age_from_months <= age_months < c.age_to_months
    ]
    if has_disability:
        special = [c for c in fitting if c.disability_only]
        if special:
            return special[0]
    return next((c for c in fitting if not c.disability_only), None)
