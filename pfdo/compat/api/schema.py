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


OPERATOR = _query(
    "operator", int, "ID регионального оператора — id региона в этой системе.", required=True
)
OPERATOR_OPTIONAL = _query("operator", int, "ID регионального оператора (региона).")
OPERATOR_ID = _query("operator_id", int, "ID регионального оператора (региона).", required=True)
PAGE = _query("page", int, "Номер страницы, с 1.")
PER_PAGE = _query(
    "per-page", int, "Размер страницы, 1–100 (по умолчанию 24). Страница короче — последняя."
)
EXPAND = _query(
    "expand",
    str,
    "Связанные данные через запятую; имена, которых операция не знает, не учитываются.",
)
FIELDS = _query("fields", str, "Принимается для совместимости; ответ всегда полный.")
SEARCH_NAME = _query("search[name]", str, "Поиск по названию (до 200 символов).")
SEARCH_MUN = _query("search[mun]", int, "ID муниципалитета.")
SEARCH_DIRECTION = _query("search[direction]", int, "ID направленности (1–6).")
SEARCH_AGE = _query("search[age]", int, "Возраст ребёнка в месяцах.")
SEARCH_KEYWORDS = _query("search[keywords_ids]", str, "ID тем через запятую.")
SEARCH_OPERATOR_ID = _query("search[operator_id]", int, "ID регионального оператора (региона).")


class CompatAutoSchema(AutoSchema):
    """Tag, no authentication, and the original's error envelopes."""

    def get_tags(self):
        return [TAG]

    def get_auth(self):
        return []

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
