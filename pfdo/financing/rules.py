"""Who may create, edit and approve financing periods (django-rules).

Reading is scoped by `FinancingPeriod.objects.for_user` (approved periods are public,
drafts only to their officials), so the view permission itself lets everyone through.
"""

from __future__ import annotations

import rules

from pfdo.accounts.rules import is_operator, is_payer, is_regional_admin


def manages_municipality(user, municipality) -> bool:
    """`user` runs the financing programme of `municipality` (its operator, region, superuser)."""
    if not user or not user.is_authenticated or municipality is None:
        return False
    if user.is_superuser:
        return True
    return municipality.pk in user.municipality_ids_for(
        "operator"
    ) or municipality.region_id in user.region_ids_for("regional_admin")


@rules.predicate
def manages_period(user, period) -> bool:
    # Without an object (the API's class-level check) the object-level check decides later.
    if period is None:
        return True
    return manages_municipality(user, period.municipality)


is_financing_official = is_operator | is_regional_admin | rules.is_superuser

rules.add_perm("financing.view_period", rules.always_allow)
rules.add_perm("financing.list_scope_periods", is_financing_official | is_payer)
rules.add_perm("financing.add_period", is_financing_official)
rules.add_perm("financing.change_period", is_financing_official & manages_period)
rules.add_perm("financing.approve_period", is_financing_official & manages_period)
rules.add_perm("financing.change_nominals", is_financing_official & manages_period)


# ------------------------------------------------------------------ production calendar
# Everyone reads the calendar (it is public law); the overrides of a region are kept by its
# regional administrator (the transfers are federal and region-wide), and by a superuser.


def keeps_calendar_of(user, region) -> bool:
    if not user or not user.is_authenticated or region is None:
        return False
    return user.is_superuser or region.pk in user.region_ids_for("regional_admin")


@rules.predicate
def keeps_calendar(user, obj) -> bool:
    # Without an object (the class-level gate) the region is checked by the service; the
    # object is a region or one of its calendar days.
    if obj is None:
        return True
    return keeps_calendar_of(user, getattr(obj, "region", obj))


rules.add_perm("financing.view_calendar", rules.always_allow)
rules.add_perm(
    "financing.change_calendar", (is_regional_admin | rules.is_superuser) & keeps_calendar
)
