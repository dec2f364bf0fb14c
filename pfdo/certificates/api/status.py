"""API of the public status of a certificate application (its number and the e-mail)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from pfdo.certificates import services
from pfdo.certificates.models import CertificateApplication
from pfdo.certificates.services import status
from pfdo.common import idempotency
from pfdo.common.api.fields import PatternField
from pfdo.common.api.permissions import RulesPermission
from pfdo.common.api.schema import RETRY_AFTER


class ApplicationStatusRequestSerializer(serializers.Serializer):
    number = PatternField(
        pattern=status.NUMBER_PATTERN,
        message=status.NUMBER_MESSAGE,
        max_length=20,
        help_text="Номер заявления из письма.",
    )
    email = PatternField(
        pattern=status.EMAIL_PATTERN,
        message=status.EMAIL_MESSAGE,
        max_length=254,
        help_text="Адрес электронной почты, указанный в заявлении.",
    )


class ApplicationStatusSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="Номер заявления.")
    status = serializers.ChoiceField(choices=CertificateApplication.Status.choices)
    status_display = serializers.CharField()
    next_step = serializers.CharField(help_text="Что делать дальше.")


class ApplicationStatusView(APIView):
    permission_classes = [RulesPermission]
    # Anyone, no login. GET passes the gate to answer 405: the e-mail stays out of URLs.
    permission_map = {"post": None, "get": None}

    @extend_schema(
        request=ApplicationStatusRequestSerializer,
        responses={200: ApplicationStatusSerializer},
        summary="Статус заявления на сертификат",
        description=(
            "Без входа. По номеру заявления (из письма) и адресу почты, указанному в заявлении, "
            "— только статус и что делать дальше. Неверный номер и неверная почта — один и тот "
            "же ответ 404. Попытки ограничены с одного адреса и на один номер (сверх — 429 с "
            "Retry-After); каждая записывается в журнал действий. Ответ не "
            "хранится для Idempotency-Key: повтор — новый запрос."
        ),
        parameters=[RETRY_AFTER],
    )
    def post(self, request):
        data = ApplicationStatusRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.application_status(actor=request.user, **data.validated_data)
        return idempotency.not_kept(Response(ApplicationStatusSerializer(result).data))
