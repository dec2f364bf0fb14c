"""Compatibility operations: regions, the regional operator and municipalities.

getMainPageRegions, getOperatorRegions, getMainPageOperatorInfo, getMainPageMunicipalities,
getMunicipalityInfo, getCertificateWays, getMainPageSettings, getPublicMunicipalities,
getMunicipalityUsefulContacts.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from pfdo.compat.api.base import CompatView, ok
from pfdo.compat.api.schema import envelope
from pfdo.compat.portal import region_url
from pfdo.territory.models import Region


class RegionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="ID регионального оператора (региона).")
    name = serializers.CharField()
    url = serializers.URLField(help_text="Адрес портала региона.")
    external = serializers.BooleanField(help_text="Всегда false: портал — эта система.")

    class Meta:
        ref_name = "PfdoV2Region"


class RegionsView(CompatView):
    @extend_schema(
        operation_id="getMainPageRegions",
        summary="Регионы на публичной витрине",
        responses={200: envelope("Regions", RegionSerializer, many=True)},
    )
    def get(self, request):
        data = [
            {
                "id": region.pk,
                "name": region.name,
                "url": region_url(request, region),
                "external": False,
            }
            for region in Region.objects.order_by("name", "pk")
        ]
        return ok(data)


routes = [
    path("main-page/regions", RegionsView.as_view(), name="compat-regions"),
]
