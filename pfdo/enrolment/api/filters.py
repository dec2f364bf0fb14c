"""Filter sets of the enrolment API: applications and contracts."""

from __future__ import annotations

import django_filters

from pfdo.catalog.filters import MAX_ID, IdFilter
from pfdo.enrolment.models import Application, Contract


def _id(what: str, field_name: str) -> IdFilter:
    message = f"{what} — целое положительное число (id)."
    return IdFilter(
        label=what,
        field_name=field_name,
        min_value=1,
        max_value=MAX_ID,
        error_messages={"invalid": message, "min_value": message, "max_value": message},
    )


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Application.Status.choices, label="Статус")
    group = _id("Группа", "group_id")
    child = _id("Ребёнок", "child_id")
    provider = _id("Поставщик", "provider_id")

    class Meta:
        model = Application
        fields = ["status", "group", "child", "provider"]


class ContractFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Contract.Status.choices, label="Статус")
    provider = _id("Поставщик", "provider_id")
    group = _id("Группа", "group_id")
    period = _id("Период финансирования", "period_id")
    child = _id("Ребёнок", "child_id")

    class Meta:
        model = Contract
        fields = ["status", "provider", "group", "period", "child"]
