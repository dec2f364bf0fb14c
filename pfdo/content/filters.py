"""Filters of content lists, shared by the API and the cabinet's pages."""

from __future__ import annotations

import django_filters

from pfdo.common.filters import BooleanFilter, IdFilter


class ContentFilter(django_filters.FilterSet):
    """The same filters for every kind of placed content (no model: the fields are common)."""

    region = IdFilter(field_name="region_id", what="Регион", help_text="Id региона.")
    municipality = IdFilter(
        field_name="municipality_id", what="Муниципалитет", help_text="Id муниципалитета."
    )
    region_wide = BooleanFilter(
        field_name="municipality",
        lookup_expr="isnull",
        help_text="true — только материалы всего региона (без муниципалитета), false — только "
        "муниципальные.",
    )
    is_published = BooleanFilter(
        help_text="true — опубликованные, false — черновики (видны только редакторам)."
    )
