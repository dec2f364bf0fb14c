"""The error envelopes of the public ПФДО API v2 (a Yii2 application):

    {"name": "Not Found", "message": "…", "code": 0, "status": 404}

and, for a request body that fails validation (422),

    {"result_code": "VAL01", "errors": {"field": ["…"]}, "data": {}}.

Messages are in Russian and name the parameter, so a client's author sees what to fix.
"""

from __future__ import annotations

NAMES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    415: "Unsupported Media Type",
    422: "Data Validation Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
MESSAGES = {
    400: "Некорректный запрос.",
    404: "Страница не найдена.",
    405: "Метод не поддерживается для этого адреса.",
    406: "Ответ бывает только в формате application/json.",
    415: "Тело запроса — только application/json.",
    429: "Слишком много запросов. Повторите позже.",
    500: "Внутренняя ошибка сервера. Мы уже знаем о ней.",
}
VALIDATION_CODE = "VAL01"


class CompatError(Exception):
    """An answer other than success: `status` with the error envelope."""

    def __init__(self, status: int, message: str | None = None, *, headers=None) -> None:
        self.status = status
        self.message = message or MESSAGES.get(status, MESSAGES[400])
        self.headers = dict(headers or {})
        super().__init__(f"{status}: {self.message}")

    def body(self) -> dict:
        return error_body(self.status, self.message)


class BadRequest(CompatError):
    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class NotFound(CompatError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(404, message)


class Invalid(CompatError):
    """422: the request body's fields, each with its messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__(422, "Проверьте правильность заполнения полей.")

    def body(self) -> dict:
        return {"result_code": VALIDATION_CODE, "errors": self.fields, "data": {}}


def error_body(status: int, message: str) -> dict:
    return {"name": NAMES.get(status, "Error"), "message": message, "code": 0, "status": status}
