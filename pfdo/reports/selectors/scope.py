"""Which municipalities and regions an official may read, and the filters a report applies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q

from pfdo.common.authz import can
from pfdo.territory.models import Municipality, Region


def municipalities_for(user):
    """Municipalities whose figures `user` may read, in the order a list shows them."""
    qs = Municipality.objects.select_related("region")
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(
        Q(pk__in=user.municipality_ids_for("operator"))
        | Q(region_id__in=user.region_ids_for("regional_admin"))
    )


def editable_municipalities(user) -> dict:
    """Code → municipality, of those whose child population `user` may enter."""
    return {m.code: m for m in municipalities_for(user) if can(user, "reports.edit_population", m)}


def regions_for(user):
    qs = Region.objects.all()
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(pk__in=user.region_ids_for("regional_admin"))


@dataclass(frozen=True)
class Filters:
    """What every report of one municipality is cut by. `period` is a FinancingPeriod (always
    set: the current one by default); `month` narrows month-by-month tables and point-in-time
    figures to one month (first day); `direction` (catalog Direction value) and `provider` (a
    Provider) narrow enrolment, money and rankings to what they concern."""

    municipality: Municipality
    period: object
    month: dt.date | None = None
    direction: str = ""
    provider: object | None = None

    def query_string(self) -> str:
        params = {"period": self.period.pk}
        if self.month:
            params["month"] = f"{self.month:%Y-%m}"
        if self.direction:
            params["direction"] = self.direction
        if self.provider is not None:
            params["provider"] = self.provider.pk
        return urlencode(params)
