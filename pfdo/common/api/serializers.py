"""Serializer bases shared by the apps' APIs."""

from __future__ import annotations

from rest_framework import serializers

UNKNOWN_FIELD = "Это поле нельзя передать в этом запросе."


class StrictSerializer(serializers.Serializer):
    """A request body that refuses fields it does not know, so a typo (or `{"status":
    "approved"}`) is not silently ignored. The schema says so: `additionalProperties: false`
    (pfdo.common.api.schema reads `refuses_unknown_fields`)."""

    refuses_unknown_fields = True
    # A field this request does not take although a sibling request does (a material's
    # region is given when it is created, never in a change) says why in its own words.
    unknown_field_messages: dict[str, str] = {}

    def to_internal_value(self, data):
        errors: dict = {}
        if hasattr(data, "keys"):  # a JSON object or a multipart form
            for name in sorted(set(data.keys()) - set(self.fields)):
                errors[name] = [self.unknown_field_messages.get(name, UNKNOWN_FIELD)]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors = {**errors, **exc.detail}
            value = None
        if errors:
            raise serializers.ValidationError(errors)
        return value
