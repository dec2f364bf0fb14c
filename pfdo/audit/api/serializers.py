"""API shape of action history rows."""

from rest_framework import serializers

from pfdo.audit.models import ActionLog


class ActionLogSerializer(serializers.ModelSerializer):
    # null for system actions (no actor), own actions and rows outside any municipality.
    actor = serializers.CharField(
        source="actor.username", default=None, read_only=True, allow_null=True
    )
    on_behalf_of = serializers.CharField(
        source="on_behalf_of.username", default=None, read_only=True, allow_null=True
    )
    municipality = serializers.CharField(
        source="municipality.code", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = ActionLog
        fields = [
            "id",
            "at",
            "actor",
            "on_behalf_of",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "municipality",
            "ip",
            "details",
        ]
