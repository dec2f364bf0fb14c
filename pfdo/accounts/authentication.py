"""API authentication by bearer token (`Authorization: Bearer pfdo_…`)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from pfdo.accounts import selectors

# Calls a user with an issued password may still make over the API.
PASSWORD_CHANGE_ALLOWED_PREFIX = "/api/v1/auth/"  # noqa: S105 (a URL, not a secret)


class PasswordChangeRequired(exceptions.APIException):
    status_code = 403
    default_code = "password_change_required"
    default_detail = (
        "Пароль был выдан вам для первого входа: смените его (POST /api/v1/auth/password/)."
    )


class BearerTokenAuthentication(BaseAuthentication):
    keywords = (b"bearer", b"token")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed()
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed() from exc
        found = selectors.user_by_api_token(raw)
        if found is None:
            raise exceptions.AuthenticationFailed()
        user, token = found
        if user.must_change_password and not request.path.startswith(
            PASSWORD_CHANGE_ALLOWED_PREFIX
        ):
            raise PasswordChangeRequired()
        return user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
