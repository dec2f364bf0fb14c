"""Filters of /api/v1/ratings/: by programme, provider, contract and the text's state."""

from __future__ import annotations

import django_filters

from pfdo.common.filters import IdFilter
from pfdo.ratings.models import Rating


def _id(what: str, field_name: str) -> IdFilter:
    return IdFilter(label=what, field_name=field_name, what=what)


class RatingFilter(django_filters.FilterSet):
    program = _id("Программа", "program_id")
    provider = _id("Поставщик", "provider_id")
    contract = _id("Договор", "contract_id")
    text_status = django_filters.ChoiceFilter(
        choices=Rating.TextStatus.choices, label="Состояние отзыва"
    )

    class Meta:
        model = Rating
        fields = ["program", "provider", "contract", "text_status"]
