"""Read use-cases of financing periods: the current period, visible periods, a child's nominal."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt

from django.db.models import Q

from pfdo.common import clock
from pfdo.common.calendar import LIBRARY, WorkCalendar, library_days
from pfdo.financing.models import CalendarDay, FinancingPeriod, NominalCategory
from pfdo.territory.models import Municipality, Region


def current_period(
    municipality, day: dt.date | None = None, *, categories: bool = True
) -> FinancingPeriod | None:
    """The approved period of `municipality` covering `day` (today by default), its nominal
    categories read with it unless `categories` is False (they are then read when asked for:
    enrolment's terms rarely need them)."""
    day = day or clock.today()
    periods = FinancingPeriod.objects.filter(
        municipality=municipality, status=FinancingPeriod.Status.APPROVED
    ).covering(day)
    if categories:
        periods = periods.prefetch_related("nominal_categories")
    return periods.first()


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


# ------------------------------------------------------------------ production calendar


_scope: contextvars.ContextVar[dict[int, WorkCalendar] | None] = contextvars.ContextVar(
    "calendar_scope", default=None
)


@contextlib.contextmanager
def calendar_scope():
    """Within the block each region's calendar is loaded once (a month run, a seed).

    Outside it every `work_calendar` call reads the overrides afresh (one small query), so a
    change made by the regional administrator counts from the next request on.
    """
    token = _scope.set({}) if _scope.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _scope.reset(token)


def work_calendar(region_id: int | None) -> WorkCalendar:
    """The production calendar of a region: the package's, with the region's overrides."""
    if region_id is None:
        return LIBRARY
    memo = _scope.get()
    if memo is not None and region_id in memo:
        return memo[region_id]
    overrides = dict(
        CalendarDay.objects.filter(region_id=region_id).values_list("day", "is_working")
    )
    calendar = WorkCalendar(overrides) if overrides else LIBRARY
    if memo is not None:
        memo[region_id] = calendar
    return calendar


def calendar_of_municipality(municipality_id: int) -> WorkCalendar:
    memo = _scope.get()
    key = -municipality_id  # municipalities memoised beside regions, under negative keys
    if memo is not None and key in memo:
        return memo[key]
    region_id = (
        Municipality.objects.filter(pk=municipality_id).values_list("region_id", flat=True).first()
    )
    calendar = work_calendar(region_id)
    if memo is not None:
        memo[key] = calendar
    return calendar


def calendar_days(region, *, year: int | None = None):
    """The region's overrides (of one year, if given), in date order."""
    qs = CalendarDay.objects.filter(region=region).select_related("created_by")
    if year is not None:
        qs = qs.filter(day__year=year)
    return qs.order_by("day")


def calendar_regions(user):
    """Regions whose calendar `user` may keep (its regional administrator, a superuser)."""
    qs = Region.objects.for_user(user).order_by("name")
    if user.is_superuser:
        return qs
    return qs.filter(pk__in=user.region_ids_for("regional_admin"))


def calendar_regions_to_read(user):
    """Regions whose calendar page `user` works with: their own (all for a superuser)."""
    qs = Region.objects.for_user(user).order_by("name")
    if user.is_superuser:
        return qs
    return qs.filter(
        Q(pk__in=user.region_ids_for("regional_admin"))
        | Q(municipalities__pk__in=user.municipality_ids_for("operator", "payer"))
    ).distinct()


def calendar_region_for(user, code: str | None):
    """The region `?region=` names among the user's (None if not theirs), or their first."""
    qs = calendar_regions_to_read(user)
    return qs.filter(code=code).first() if code else qs.first()


def library_days_of(year: int) -> list[tuple[dt.date, bool, str]]:
    return library_days(year)
