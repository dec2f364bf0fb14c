"""Filters of content lists, shared by the API and the cabinet's pages."""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

# The largest id a BIGINT holds; a larger number would overflow the database driver.
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, what: str, **kwargs):
        message = f"{what} — целое положительное число (id)."
        kwargs.update(
            min_value=1,
            max_value=MAX_ID,
            error_messages={"invalid": message, "min_value": message, "max_value": message},
        )
        super().__init__(*args, **kwargs)


class ContentFilter(django_filters.FilterSet):
    """The same filters for every kind of placed content (no model: the fields are common)."""

    region = IdFilter(field_name="region_id", what="Регион", help_text="Id региона.")
    municipality = IdFilter(
        field_name="municipality_id", what="Муниципалитет", help_text="Id муниципалитета."
    )
    region_wide = django_filters.BooleanFilter(
        field_name="municipality",
        lookup_expr="isnull",
        help_text="true — только материалы всего региона (без муниципалитета), false — только "
        "муниципальные.",
    )
    is_published = django_filters.BooleanFilter(
        help_text="true — опубликованные, false — черновики (видны только редакторам)."
    )
