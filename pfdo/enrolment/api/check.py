"""API of the public enrolment check: where a child is enrolled under a certificate."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from pfdo.certificates.validators import NAME_KEY_PATTERN
from pfdo.common import idempotency
from pfdo.common.api.fields import PatternField
from pfdo.common.api.permissions import RulesPermission
from pfdo.common.api.schema import RETRY_AFTER
from pfdo.common.validators import WHITESPACE
from pfdo.enrolment import services
from pfdo.enrolment.models import Contract
from pfdo.enrolment.services import check

# The four digits as sent: whitespace anywhere is dropped (check.clean).
SUFFIX_PATTERN = rf"^[{WHITESPACE}]*([0-9][{WHITESPACE}]*){{4}}$"


class EnrolmentCheckRequestSerializer(serializers.Serializer):
    surname = PatternField(
        pattern=NAME_KEY_PATTERN,
        message="Укажите фамилию ребёнка.",
        max_length=150,
        help_text="Фамилия ребёнка.",
    )
    first_name = PatternField(
        pattern=NAME_KEY_PATTERN,
        message="Укажите имя ребёнка.",
        max_length=150,
        help_text="Имя ребёнка.",
    )
    document_suffix = PatternField(
        pattern=SUFFIX_PATTERN,
        message=check.SUFFIX_ERROR,
        max_length=20,
        help_text="Последние 4 цифры номера свидетельства о рождении или паспорта ребёнка.",
    )

    def validate_document_suffix(self, value: str) -> str:
        if not check.SUFFIX.match("".join(value.split())):
            raise serializers.ValidationError(check.SUFFIX_ERROR)
        return value


class EnrolmentSerializer(serializers.Serializer):
    program = serializers.CharField(help_text="Программа.")
    provider = serializers.CharField(help_text="Поставщик (краткое наименование).")
    starts_on = serializers.DateField(help_text="Начало договора.")
    ends_on = serializers.DateField(
        help_text="Окончание договора (у расторгнутого — последний день действия)."
    )
    status = serializers.ChoiceField(
        choices=Contract.Status.choices,
        help_text="active (действует), completed (завершён) или terminated (расторгнут).",
    )
    status_display = serializers.CharField()
    is_active = serializers.BooleanField(help_text="Договор действует сейчас.")


class EnrolmentCheckSerializer(serializers.Serializer):
    checked_on = serializers.DateField(help_text="Дата проверки.")
    enrolments = EnrolmentSerializer(
        many=True,
        help_text="Договоры ребёнка, новые первыми; пусто — и если договоров нет, и если "
        "такого ребёнка нет.",
    )


class EnrolmentCheckView(APIView):
    permission_classes = [RulesPermission]
    # Anyone, no login: the families' own check. GET passes the gate to answer 405 (the child's
    # name does not belong in URLs and access logs).
    permission_map = {"post": None, "get": None}

    @extend_schema(
        request=EnrolmentCheckRequestSerializer,
        responses={200: EnrolmentCheckSerializer},
        summary="Проверить, куда зачислен ребёнок",
        description=(
            "Без входа. По фамилии, имени и последним 4 цифрам номера документа ребёнка "
            "(свидетельства о рождении или паспорта) — договоры, по которым ребёнок зачислен "
            "по сертификату: программа, поставщик, даты и действует ли договор; ничего больше. "
            "Нет такого ребёнка и нет договоров — один и тот же ответ (пустой список). "
            "Не 4 цифры — 400 с fields.document_suffix. Попытки ограничены с одного адреса и "
            "на одно имя ребёнка (сверх — 429 с Retry-After); каждая записывается в журнал "
            "действий (без фамилии и цифр). Ответ не хранится для Idempotency-Key: повтор — новая "
            "проверка."
        ),
        parameters=[RETRY_AFTER],
    )
    def post(self, request):
        data = EnrolmentCheckRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.check_enrolment(actor=request.user, **data.validated_data)
        return idempotency.not_kept(Response(EnrolmentCheckSerializer(result).data))
