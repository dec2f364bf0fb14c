"""One error body for every API failure: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from pfdo.common.errors import DomainError
from pfdo.common.http import MESSAGES as _MESSAGES
from pfdo.common.http import error_body
from pfdo.common.ratelimit import RateLimited


class MalformedRequest(exceptions.ParseError):
    """A request body refused before or while it is parsed (not JSON, nested too deep, too
    big): 400 `malformed_request` with its own Russian message."""

    default_detail = _MESSAGES["parse_error"]


def _flatten_fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested detail → {"field" or "field.sub" or "items.0.field": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten_fields(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten_fields(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def exception_handler(exc, context):
    """DRF exception handler: every failure becomes the documented error body."""
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, RateLimited):
        body = error_body("throttled", exc.message)
        return Response(body, status=429, headers={"Retry-After": str(exc.wait)})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_fields(exc.detail)
        non_field = fields.pop("non_field_errors", None)
        message = non_field[0] if non_field else "Проверьте правильность заполнения полей."
        body = error_body("validation_error", message, fields)
        return Response(body, status=status.HTTP_400_BAD_REQUEST)

    if isinstance(exc, exceptions.APIException):
        code = exc.default_code
        if isinstance(exc.detail, dict | list):
            message = _MESSAGES.get(code, "Запрос не может быть выполнен.")
        else:
            message = _MESSAGES.get(code) or str(exc.detail)
            if code == "throttled" and getattr(exc, "wait", None):
                message = f"Слишком много запросов. Повторите через {int(exc.wait)} с."
        if isinstance(exc, exceptions.ParseError):
            code = "malformed_request"
            # DRF's own parse errors carry English parser details; ours carry Russian ones.
            is_ours = isinstance(exc, MalformedRequest)
            message = str(exc.detail) if is_ours else _MESSAGES["parse_error"]
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        return Response(error_body(code, message), status=exc.status_code, headers=headers)
    return None  # a real bug: Django's 500 handler answers (with the error body under /api/)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Стабильный машинный код ошибки, например validation_error."
    )
    message = serializers.CharField(help_text="Сообщение на русском языке для человека.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Ошибки по полям: имя поля → список сообщений. Пусто, если ошибка не о полях.",
    )


class ErrorSerializer(serializers.Serializer):
    """The error body of every 4xx/5xx answer of the API."""

    error = ErrorDetailSerializer()
