"""API shapes of regions and municipalities."""

from rest_framework import serializers

from pfdo.territory.models import Municipality, Region


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "okato"]


class MunicipalitySerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Municipality
        fields = [
            "id",
            "code",
            "name",
            "official_name",
            "kind",
            "region",
            "region_name",
            "is_active",
        ]
