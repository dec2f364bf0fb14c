"""The API error body and its Russian messages, shared by DRF and plain Django handlers."""

from __future__ import annotations

from django.http import JsonResponse

MESSAGES = {
    "parse_error": "Тело запроса не является корректным JSON.",
    "not_authenticated": "Требуется вход: передайте токен в заголовке Authorization.",
    "authentication_failed": "Неверные учётные данные или токен.",
    "permission_denied": "Недостаточно прав для этого действия.",
    "not_found": "Объект не найден.",
    "method_not_allowed": "Метод не поддерживается для этого адреса.",
    "not_acceptable": "Запрошенный формат ответа не поддерживается.",
    "unsupported_media_type": "Неподдерживаемый тип содержимого: отправляйте application/json.",
    "throttled": "Слишком много запросов. Повторите позже.",
    "server_error": "Внутренняя ошибка сервера. Мы уже знаем о ней.",
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def json_error_response(code: str, status_code: int, message: str | None = None) -> JsonResponse:
    """For Django-level handlers (404/500, middleware) answering under /api/."""
    return JsonResponse(
        error_body(code, message or MESSAGES.get(code, "Ошибка.")),
        status=status_code,
        json_dumps_params={"ensure_ascii": False},
    )
