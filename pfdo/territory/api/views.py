"""Public read-only API of regions and municipalities."""

import django_filters

from pfdo.common.api.viewsets import ScopedReadOnlyViewSet
from pfdo.common.filters import BooleanFilter, CharFilter
from pfdo.territory.api.serializers import MunicipalitySerializer, RegionSerializer
from pfdo.territory.models import Municipality, Region


class MunicipalityFilter(django_filters.FilterSet):
    region = CharFilter(field_name="region__code", help_text="Код региона")
    is_active = BooleanFilter(help_text="true — действующие, false — нет.")

    class Meta:
        model = Municipality
        fields = ["region", "is_active"]


class RegionViewSet(ScopedReadOnlyViewSet):
    """Regions (public)."""

    model = Region
    serializer_class = RegionSerializer
    permission_map = {"list": None, "retrieve": None}
    lookup_field = "code"
    lookup_value_regex = "[a-z0-9-]+"


class MunicipalityViewSet(ScopedReadOnlyViewSet):
    """Municipalities (public); filter by `region` code."""

    model = Municipality
    serializer_class = MunicipalitySerializer
    permission_map = {"list": None, "retrieve": None}
    filterset_class = MunicipalityFilter
    lookup_field = "code"
    lookup_value_regex = "[a-z0-9-]+"

    def scope_queryset(self, queryset):
        return queryset.select_related("region")
