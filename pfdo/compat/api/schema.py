"""How the compatibility API is described in /api/schema/ (its own section in /api/docs/).

Each view declares its operation with `extend_schema(operation_id=<the original's
operationId>, responses={200: envelope(...)}, parameters=[...])`; this schema class adds the
section's tag, "no login", and the error envelopes every operation may answer. The reusable
parameters below carry the original's names.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from pfdo.compat.api.params import (
    EXPAND_PATTERN,
    KEYWORDS_PATTERN,
    MAX_EXPAND,
    MAX_INT,
    MAX_PER_PAGE,
    MAX_TEXT,
    TEXT_PATTERN,
    TOPICS_PATTERN,
)

TAG = "ПФДО API v2 (совместимость)"

_ERRORS = {
    "400": "Некорректный параметр запроса (сообщение называет его).",
    "404": "Нет такого объекта (или оператора, муниципалитета) либо такого адреса.",
    "405": "Метод не поддерживается для этого адреса.",
    "429": "Слишком много запросов с одного адреса; заголовок Retry-After — через сколько секунд повторить.",
}


class CompatErrorSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Название ошибки HTTP, например Not Found.")
    message = serializers.CharField(help_text="Что не так, по-русски.")
    code = serializers.IntegerField(help_text="Всегда 0.")
    status = serializers.IntegerField(help_text="Код HTTP.")

    class Meta:
        ref_name = "PfdoV2Error"


class CompatValidationErrorSerializer(serializers.Serializer):
    result_code = serializers.CharField(help_text="VAL01.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Поле → сообщения.",
    )
    data = serializers.DictField(help_text="Пустой объект.")

    class Meta:
        ref_name = "PfdoV2ValidationError"


def envelope(name: str, data, *, many: bool = False):
    """The success envelope around `data` (a serializer class or instance, or an
    OpenApiTypes value) for the schema: {"data", "result_code", "result_message"}."""
    if isinstance(data, type) and issubclass(data, serializers.BaseSerializer):
        field = data(many=many)
    elif isinstance(data, serializers.Field):
        field = data
    else:
        field = serializers.JSONField()
    return inline_serializer(
        name=f"PfdoV2{name}Envelope",
        fields={
            "data": field,
            "result_code": serializers.CharField(help_text="FLSCS — успех."),
            "result_message": serializers.CharField(help_text="Полный успех."),
        },
    )


def _query(name: str, type_, description: str, *, required: bool = False, **extra):
    return OpenApiParameter(
        name=name,
        type=type_,
        location=OpenApiParameter.QUERY,
        required=required,
        description=description,
        **extra,
    )


# The rules each parameter is read by (pfdo/compat/api/params.py), stated exactly: what the
# schema allows the server takes, what it refuses the server answers 400. An optional
# parameter sent empty is the same as absent (allowEmptyValue, CompatAutoSchema).
def _int(minimum: int = 0, maximum: int = MAX_INT) -> dict:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def _text(max_length: int = MAX_TEXT, pattern: str = TEXT_PATTERN) -> dict:
    return {"type": "string", "maxLength": max_length, "pattern": pattern}


_ID = _int(1)

OPERATOR = _query(
    "operator", _ID, "ID регионального оператора — id региона в этой системе.", required=True
)
OPERATOR_OPTIONAL = _query("operator", _ID, "ID регионального оператора (региона).")
OPERATOR_ID = _query("operator_id", _ID, "ID регионального оператора (региона).", required=True)
PAGE = _query("page", _int(1), "Номер страницы, с 1.")
PER_PAGE = _query(
    "per-page",
    _int(1, MAX_PER_PAGE),
    f"Размер страницы, 1–{MAX_PER_PAGE} (по умолчанию 24). Страница короче — последняя.",
)
EXPAND = _query(
    "expand",
    _text(MAX_EXPAND, EXPAND_PATTERN),
    "Связанные данные: имена (латинские буквы и _) через запятую; имена, которых операция не "
    "знает, не учитываются.",
)
FIELDS = _query("fields", _text(2000), "Принимается для совместимости; ответ всегда полный.")
SEARCH_NAME = _query("search[name]", _text(), f"Поиск по названию (до {MAX_TEXT} символов).")
SEARCH_MUN = _query("search[mun]", _ID, "ID муниципалитета.")
SEARCH_DIRECTION = _query("search[direction]", _int(1, 6), "ID направленности (1–6).")
SEARCH_AGE = _query("search[age]", _int(), "Возраст ребёнка в месяцах.")
SEARCH_KEYWORDS = _query(
    "search[keywords_ids]",
    _text(pattern=KEYWORDS_PATTERN),
    "ID тем через запятую, например 1,5.",
)
SEARCH_TOPICS = _query(
    "search[keywords_ids]",
    _text(pattern=TOPICS_PATTERN),
    "Номера тем (1–5) через запятую, например 1,3.",
)
SEARCH_OPERATOR_ID = _query("search[operator_id]", _ID, "ID регионального оператора (региона).")


class CompatAutoSchema(AutoSchema):
    """Tag, no authentication, and the original's error envelopes."""

    def get_tags(self):
        return [TAG]

    def get_auth(self):
        return []

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter["in"] == "query" and not parameter.get("required"):
                # Empty is absent: the original's pages send their empty fields.
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(_ERRORS)
        if self.method == "POST":
            errors["415"] = "Тело запроса — application/json."
        for code, description in errors.items():
            if code not in responses:
                body = self._get_response_for_code(CompatErrorSerializer, code, direction=direction)
                body["description"] = description
                responses[code] = body
        return responses
