"""One FilterSet of financing periods for the API (and any page that lists them)."""

import django_filters

from pfdo.common.filters import CharFilter, DateFilter
from pfdo.financing.models import FinancingPeriod


class FinancingPeriodFilter(django_filters.FilterSet):
    municipality = CharFilter(
        field_name="municipality__code", label="Код муниципалитета, например vorkuta"
    )
    active_on = DateFilter(
        method="filter_active_on", label="Период, действующий в этот день (ГГГГ-ММ-ДД)"
    )
    status = django_filters.ChoiceFilter(choices=FinancingPeriod.Status.choices, label="Статус")

    class Meta:
        model = FinancingPeriod
        fields = ["municipality", "active_on", "status"]

    def filter_active_on(self, queryset, name, value):
        return queryset.covering(value)
