"""OpenAPI generation: the shared error body of every error status, public reads, real formats."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from pfdo.common.api.errors import ErrorSerializer
from pfdo.common.api.idempotency_key import KEY_PATTERN, MAX_KEY_LENGTH
from pfdo.common.times import TIME_PATTERN  # the one definition; imported from here too
from pfdo.common.validators import NON_BLANK_TEXT_PATTERN, TEXT_PATTERN

_OUTER_KEYS = {"readOnly", "writeOnly", "nullable", "deprecated", "description", "title"}

_ERROR_DESCRIPTIONS = {
    "400": "Ошибка в запросе: неверные поля, некорректный JSON или нарушено правило.",
    "401": "Нужен вход: нет токена или он недействителен.",
    "403": "Недостаточно прав.",
    "404": "Не найдено (или не видно этому пользователю).",
    "409": "Конфликт: действие уже выполнено, объект в другом статусе или Idempotency-Key использован для другого запроса.",
    "429": "Слишком много попыток или запросов.",
}
# Answered by DRF before the view runs: a method this address does not serve, an Accept header
# asking for a format other than JSON, a body sent as anything but JSON (only where there is a
# body to send).
_NEGOTIATION_DESCRIPTIONS = {
    "405": "Метод не поддерживается этим адресом (заголовок Allow перечисляет допустимые).",
    "406": "Запрошенный в Accept формат ответа не поддерживается: ответы — application/json.",
}
_BODY_DESCRIPTIONS = {
    "415": "Неподдерживаемый тип тела запроса: отправляйте application/json.",
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

# The rules the server enforces (pfdo.common.api.idempotency_key.valid_key), stated exactly.
IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    type={"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
    description=(
        f"Ключ повтора: от 1 до {MAX_KEY_LENGTH} печатных символов ASCII, без пробелов в начале "
        "и в конце (иначе 400 invalid_idempotency_key — после проверок входа, прав и метода). "
        "Повтор с тем же ключом и тем же запросом в течение суток вернёт первый ответ "
        "(с заголовком Idempotent-Replayed: true), с другим запросом — 409. "
        "Секреты (пароль, токен) показываются только в первом ответе: в повторе они null."
    ),
)
IDEMPOTENT_REPLAYED = OpenApiParameter(
    name="Idempotent-Replayed",
    location=OpenApiParameter.HEADER,
    response=True,
    required=False,
    type={"type": "string", "enum": ["true"]},
    description=(
        "true — это повтор первого ответа на запрос с тем же Idempotency-Key; действие не "
        "выполнялось снова. Секреты первого ответа (пароль, токен) в повторе — null."
    ),
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

    def _map_basic_serializer(self, serializer, direction):
        result = super()._map_basic_serializer(serializer, direction)
        if direction != "request":
            return result
        if getattr(serializer, "refuses_unknown_fields", False):
            result["additionalProperties"] = False  # pfdo.common.api.serializers
        properties = result.get("properties", {})
        if getattr(serializer, "exactly_one_of", None):
            # A body that names exactly one of these fields (a payment of a request or of an
            # invoice): both or neither is refused.
            result["oneOf"] = [{"required": [name]} for name in serializer.exactly_one_of]
        if getattr(serializer, "at_least_one_of", None):
            # A body that names one or more of these fields, not null (a new content row
            # placed by its region or its municipality).
            result["anyOf"] = [
                {"required": [name], "properties": {name: {"type": properties[name]["type"]}}}
                for name in serializer.at_least_one_of
            ]
        # A rule between fields that the serializer states itself, in JSON Schema.
        result.update(getattr(serializer, "request_schema_rules", None) or {})
        for field in serializer.fields.values():
            schema = properties.get(field.field_name)
            if schema is not None and _is_plain_text(field, schema):
                # What a client may send: no NUL, and not blank where the field may not be.
                schema["pattern"] = TEXT_PATTERN if field.allow_blank else NON_BLANK_TEXT_PATTERN
        return result

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if self.method in ("POST", "PUT", "PATCH", "DELETE") and self.path.startswith("/api/"):
            # Only under /api/ does the middleware keep answers by key (not the v2 section).
            params += [IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED]
        return params

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response" or not getattr(self.view, "shared_error_body", True):
            # A view with an error body of its own (the ПФДО API v2 compatibility section)
            # declares its errors itself.
            return responses
        described = dict(_ERROR_DESCRIPTIONS, **_NEGOTIATION_DESCRIPTIONS)
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            described.update(_BODY_DESCRIPTIONS)
        for code, description in described.items():
            if code not in responses:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = description
                responses[code] = body
        return responses


def _is_plain_text(field, schema) -> bool:
    """A text field whose schema says nothing yet about which characters it takes."""
    return (
        type(field) is serializers.CharField
        and schema.get("type") == "string"
        and not {"pattern", "format", "enum", "oneOf"} & set(schema)
    )


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


def allow_empty_query_values(result, generator, request, public):
    """Postprocessing hook: every optional query parameter of /api/v1/ allows an empty value.

    The rule of the API (docs/decisions.md, issue 18): `?status=` means the same as no
    `status` at all (the pages' GET forms send their empty fields and share the FilterSets), so
    the schema says so once here instead of on each FilterSet. A required parameter may not be
    empty and is left alone.
    """
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for param in operation.get("parameters", []):
                if param.get("in") == "query" and not param.get("required"):
                    param["allowEmptyValue"] = True
    return result
