"""OpenAPI generation: declares the shared error body for every error status, once."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from pfdo.common.api.errors import ErrorSerializer

_ERROR_DESCRIPTIONS = {
    "400": "Ошибка в запросе: неверные поля, некорректный JSON или нарушено правило.",
    "401": "Нужен вход: нет токена или он недействителен.",
    "403": "Недостаточно прав.",
    "404": "Не найдено (или не видно этому пользователю).",
    "409": "Конфликт состояния: повтор, гонка или Idempotency-Key с другим телом.",
    "429": "Слишком много попыток или запросов.",
}


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

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in _ERROR_DESCRIPTIONS.items():
            if code not in responses:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = description
                responses[code] = body
        return responses
