"""Filter sets shared by pages and the API: the provider registry (public and the officials'),
bank-details requests."""

from __future__ import annotations

import django_filters

from pfdo.common.choices import Direction, LegalForm
from pfdo.common.filters import CharFilter, IdFilter
from pfdo.providers.models import BankDetailsChange, Provider

# The forms a family tells apart; "private" is both kinds of non-state organisation.
FORM_CHOICES = [
    *LegalForm.choices,
    ("private", "частная организация (некоммерческая или коммерческая)"),
]
PRIVATE_FORMS = (LegalForm.NGO, LegalForm.COMPANY)


def _choice_message(what: str, choices) -> str:
    allowed = ", ".join(str(value) for value, _ in choices)
    return f"Неизвестное значение «%(value)s» для поля «{what}». Допустимые значения: {allowed}."


class ProviderFilter(django_filters.FilterSet):
    """Filters of the public registry (/providers/), the officials' registry and
    /api/v1/providers/ (the same parameters in all three)."""

    q = CharFilter(method="filter_q", label="Поиск", help_text="Часть наименования, ИНН или ОГРН")
    search = CharFilter(
        method="filter_search",
        label="Наименование",
        help_text="Часть краткого или полного наименования.",
        max_length=200,
        error_messages={"max_length": "Наименование — не длиннее 200 символов."},
    )
    municipality = CharFilter(
        field_name="municipality__code", label="Муниципалитет", help_text="Код муниципалитета"
    )
    status = django_filters.ChoiceFilter(
        choices=Provider.Status.choices, label="Статус", empty_label="Все статусы"
    )
    legal_form = django_filters.ChoiceFilter(
        choices=FORM_CHOICES,
        method="filter_legal_form",
        label="Форма",
        empty_label="Все формы",
        help_text="municipal, state, ngo, company, ip; private — ngo и company вместе.",
        error_messages={"invalid_choice": _choice_message("форма", FORM_CHOICES)},
    )
    direction = django_filters.ChoiceFilter(
        choices=Direction.choices,
        method="filter_direction",
        label="Направленность",
        empty_label="Любая",
        help_text="Есть опубликованная программа этой направленности.",
        error_messages={"invalid_choice": _choice_message("направленность", Direction.choices)},
    )

    class Meta:
        model = Provider
        fields = ["q", "search", "municipality", "status", "legal_form", "direction"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_search(self, queryset, name, value):
        return queryset.search_name(value)

    def filter_legal_form(self, queryset, name, value):
        if value == "private":
            return queryset.filter(legal_form__in=PRIVATE_FORMS)
        return queryset.filter(legal_form=value)

    def filter_direction(self, queryset, name, value):
        return queryset.teaching(value)


class BankDetailsChangeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=BankDetailsChange.Status.choices, label="Статус", empty_label="Все статусы"
    )
    provider = IdFilter(field_name="provider_id", label="Поставщик", what="Поставщик")

    class Meta:
        model = BankDetailsChange
        fields = ["status", "provider"]
