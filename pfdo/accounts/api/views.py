"""API of authentication: token by login and password, the current user, password change."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from pfdo.accounts import services
from pfdo.accounts.api import schema as _schema  # noqa: F401  (registers the bearer scheme)
from pfdo.accounts.api.serializers import (
    MeSerializer,
    PasswordChangeSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from pfdo.accounts.authentication import BearerTokenAuthentication
from pfdo.accounts.forms import INVALID_LOGIN
from pfdo.accounts.models import ApiToken
from pfdo.common.api.schema import RETRY_AFTER
from pfdo.common.errors import DomainError
from pfdo.common.idempotency import mark_secret


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 400
    default_message = INVALID_LOGIN


class TokenView(APIView):
    """Exchange login and password for a bearer token; DELETE revokes the token in use."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get_authenticators(self):
        # DELETE authenticates with the token it revokes; POST needs no authentication.
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            return [BearerTokenAuthentication()]
        return super().get_authenticators()

    def get_permissions(self):
        # ... and DELETE needs that token (so the schema does not call it public either).
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer},
        auth=[],
        parameters=[RETRY_AFTER],
        summary="Получить токен по логину и паролю",
        description="Попытки ограничены с одного адреса и для одного логина (существует он "
        "или нет), а после нескольких неверных паролей логин временно блокируется: в обоих "
        "случаях 429 с Retry-After — через сколько секунд повторить.",
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.count_token_request(login=data.validated_data["login"])
        # Axes watches this call: repeated failures lock the login (answered by the
        # lockout handler with 429 and the time to retry).
        user = authenticate(
            request._request,
            username=data.validated_data["login"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise InvalidCredentials()
        token, raw = services.issue_api_token(user=user)
        body = {"token": raw, "expires_at": token.expires_at, "user": user}
        return mark_secret(Response(TokenResponseSerializer(body).data), "token")

    @extend_schema(responses={204: None}, summary="Отозвать текущий токен")
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            raise NotAuthenticated()
        services.revoke_api_token(actor=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer}, summary="Текущий пользователь и его роли")
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class PasswordView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=PasswordChangeSerializer, responses={204: None}, summary="Сменить свой пароль"
    )
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.change_password(
            actor=request.user,
            user=request.user,
            old_password=data.validated_data["old_password"],
            new_password=data.validated_data["new_password"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
