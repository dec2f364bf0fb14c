"""One filter set of providers for the registry page and the API."""

from __future__ import annotations

import django_filters

from pfdo.common.choices import LegalForm
from pfdo.providers.models import Provider


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
