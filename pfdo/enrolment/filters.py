"""Filter sets of applications, contracts and provider look-ups: one implementation for the
API and the pages (the provider's incoming list, the provider's and the officials' contract
registers, the operator's report of look-ups)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from pfdo.common.filters import BooleanFilter, CharFilter, DateFilter, IdFilter
from pfdo.enrolment.models import Application, CertificateLookup, Contract


def _id(what: str, field_name: str) -> IdFilter:
    return IdFilter(label=what, field_name=field_name, what=what)


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Application.Status.choices, label="Статус")
    group = _id("Группа", "group_id")
    child = _id("Ребёнок", "child_id")
    provider = _id("Поставщик", "provider_id")
    program = _id("Программа", "group__module__program_id")

    class Meta:
        model = Application
        fields = ["status", "group", "child", "provider", "program"]


class ContractFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Contract.Status.choices, label="Статус")
    provider = _id("Поставщик", "provider_id")
    group = _id("Группа", "group_id")
    period = _id("Период финансирования", "period_id")
    child = _id("Ребёнок", "child_id")
    program = _id("Программа", "group__module__program_id")
    # The dates select contracts in force at some day of the range.
    date_from = DateFilter(
        label="Действует с (ГГГГ-ММ-ДД)", field_name="ends_on", lookup_expr="gte"
    )
    date_to = DateFilter(
        label="Действует по (ГГГГ-ММ-ДД)", field_name="starts_on", lookup_expr="lte"
    )
    surname = CharFilter(label="Фамилия ребёнка (начало)", method="filter_surname", max_length=150)

    class Meta:
        model = Contract
        fields = [
            "status",
            "provider",
            "group",
            "period",
            "child",
            "program",
            "date_from",
            "date_to",
            "surname",
        ]

    def filter_surname(self, queryset, name, value):
        surname = (value or "").strip()
        if not surname:
            return queryset
        # SQLite folds case of ASCII only: also try the usual spelling of a Russian surname.
        return queryset.filter(
            Q(child__last_name__istartswith=surname)
            | Q(child__last_name__startswith=surname[:1].upper() + surname[1:].lower())
        )


Outcome = CertificateLookup.Outcome
MISSED = "missed"


class CertificateLookupFilter(django_filters.FilterSet):
    """The operator's report: by provider, staff member, days (the operator's time zone),
    outcome ("missed" = either kind of "not found")."""

    provider = _id("Поставщик", "provider_id")
    actor = _id("Сотрудник", "actor_id")
    date_from = DateFilter(label="С (ГГГГ-ММ-ДД)", field_name="at", lookup_expr="date__gte")
    date_to = DateFilter(label="По (ГГГГ-ММ-ДД)", field_name="at", lookup_expr="date__lte")
    outcome = django_filters.ChoiceFilter(
        label="Итог",
        choices=[
            (Outcome.MATCHED.value, Outcome.MATCHED.label),
            (MISSED, "не найден (любая причина)"),
            (Outcome.WRONG_SURNAME.value, Outcome.WRONG_SURNAME.label),
            (Outcome.UNKNOWN.value, Outcome.UNKNOWN.label),
            (Outcome.REFUSED.value, Outcome.REFUSED.label),
        ],
        method="filter_outcome",
    )
    matched = BooleanFilter(label="Найден (true) или не найден (false)", method="filter_matched")
    purpose = django_filters.ChoiceFilter(
        label="Где", choices=CertificateLookup.Purpose.choices, field_name="purpose"
    )

    class Meta:
        model = CertificateLookup
        fields = ["provider", "actor", "date_from", "date_to", "outcome", "matched", "purpose"]

    def filter_outcome(self, queryset, name, value):
        if value == MISSED:
            return queryset.filter(outcome__in=CertificateLookup.MISSES)
        return queryset.filter(outcome=value)

    def filter_matched(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(outcome=Outcome.MATCHED)
        return queryset.filter(outcome__in=CertificateLookup.MISSES)
