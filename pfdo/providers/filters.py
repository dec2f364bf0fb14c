"""Filter sets shared by pages and the API: the provider registry, bank-details requests."""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from pfdo.common.choices import LegalForm
from pfdo.providers.models import BankDetailsChange, Provider

# The largest id a BIGINT holds; a larger number would overflow the database driver.
MAX_ID = 2**63 - 1


class ProviderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label="Поиск", help_text="Часть наименования, ИНН или ОГРН"
    )
    municipality = django_filters.CharFilter(
        field_name="municipality__code", label="Муниципалитет", help_text="Код муниципалитета"
    )
    status = django_filters.ChoiceFilter(
        choices=Provider.Status.choices, label="Статус", empty_label="Все статусы"
    )
    legal_form = django_filters.ChoiceFilter(
        choices=LegalForm.choices, label="Форма", empty_label="Все формы"
    )

    class Meta:
        model = Provider
        fields = ["q", "municipality", "status", "legal_form"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class _IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class BankDetailsChangeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=BankDetailsChange.Status.choices, label="Статус", empty_label="Все статусы"
    )
    provider = _IdFilter(
        field_name="provider_id",
        label="Поставщик",
        min_value=1,
        max_value=MAX_ID,
        error_messages={
            name: "Поставщик — целое положительное число (id)."
            for name in ("invalid", "min_value", "max_value")
        },
    )

    class Meta:
        model = BankDetailsChange
        fields = ["status", "provider"]
