"""OpenAPI generation: the shared error body of every error status, public reads, real formats."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from pfdo.common.api.errors import ErrorSerializer

# A time as DRF writes and reads it: "16:00", "16:00:00", "16:00:00.250000", no offset.
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
_OUTER_KEYS = {"readOnly", "writeOnly", "nullable", "deprecated", "description", "title"}

_ERROR_DESCRIPTIONS = {
    "400": "Ошибка в запросе: неверные поля, некорректный JSON или нарушено правило.",
    "401": "Нужен вход: нет токена или он недействителен.",
    "403": "Недостаточно прав.",
    "404": "Не найдено (или не видно этому пользователю).",
    "409": "Конфликт: действие уже выполнено, объект в другом статусе или Idempotency-Key использован для другого запроса.",
    "429": "Слишком много попыток или запросов.",
}

# The 429 of a rate-limited operation carries Retry-After (seconds to wait); such an operation
# declares it with `extend_schema(parameters=[RETRY_AFTER])` (its body is the shared error).
RETRY_AFTER = OpenApiParameter(
    name="Retry-After",
    type=int,
    location=OpenApiParameter.HEADER,
    response=[429],
    required=True,
    description="Через сколько секунд можно повторить попытку.",
)


class AutoSchema(SpectacularAutoSchema):
    """Every operation documents the error body for 400/401/403/404/409/429."""

    def get_auth(self):
        """A public action of a `permission_map` (None) also works without credentials."""
        auths = super().get_auth()
        permission_map = getattr(self.view, "permission_map", None)
        action = getattr(self.view, "action", None) or self.method.lower()
        public = (
            bool(permission_map) and action in permission_map and permission_map[action] is None
        )
        if public and {} not in auths:
            auths.append({})
        return auths

    def _insert_field_validators(self, field, schema):
        if isinstance(field, serializers.TimeField) and schema.get("format") == "time":
            # JSON Schema's "time" requires an offset ("16:00:00+03:00"); DRF writes none.
            del schema["format"]
            schema["pattern"] = TIME_PATTERN
        super()._insert_field_validators(field, schema)
        # DRF drops `allow_blank` from read-only model fields, so drf-spectacular would not
        # allow "" for a blank URL or e-mail; say so, the way it does for writable fields.
        if field.read_only and "format" in schema and _model_field_is_blank(field):
            inner = {k: schema.pop(k) for k in list(schema) if k not in _OUTER_KEYS}
            schema["oneOf"] = [inner, {"type": "string", "maxLength": 0}]

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            params.append(
                OpenApiParameter(
                    name="Idempotency-Key",
                    location=OpenApiParameter.HEADER,
                    required=False,
                    type=str,
                    description=(
                        "Ключ повтора (до 200 символов): повтор с тем же ключом и телом вернёт "
                        "первый ответ, с другим телом — 409."
                    ),
                )
            )
        return params

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response" or not getattr(self.view, "shared_error_body", True):
            # A view with an error body of its own (the ПФДО API v2 compatibility section)
            # declares its errors itself.
            return responses
        for code, description in _ERROR_DESCRIPTIONS.items():
            if code not in responses:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = description
                responses[code] = body
        return responses


def _model_field_is_blank(field) -> bool:
    """The text column behind a read-only ModelSerializer field may hold ""."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source or field.source == "*":
        return False
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return False
    return isinstance(model_field, models.CharField | models.TextField) and model_field.blank
