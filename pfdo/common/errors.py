"""Domain errors: a stable machine code, a Russian message and optional field messages.

Services raise them; base views show the message on pages and the API renders
`{"error": {"code", "message", "fields"}}` with the class's HTTP status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """A rule of the domain refused the request. Subclasses set `code` and `status`."""

    code = "domain_error"
    status = 400
    default_message = "Операция не может быть выполнена."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: Mapping[str, Sequence[str] | str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.fields: dict[str, list[str]] = {
            name: [msgs] if isinstance(msgs, str) else list(msgs)
            for name, msgs in (fields or {}).items()
        }
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 400
    default_message = "Проверьте правильность заполнения полей."


class AccessDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = "Недостаточно прав для этого действия."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Объект не найден."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = "Состояние объекта не позволяет выполнить операцию."
