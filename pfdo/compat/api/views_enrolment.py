"""Compatibility operations: the public enrolment check and its steps.

createEnrollmentVerification, verifyEnrollmentVerification,
confirmEnrollmentVerificationEmail, getEnrollmentVerificationStatistics — over this system's
public enrolment check (pfdo.enrolment.services.check) through
pfdo.compat.services.verification: the same limits, the same record, nothing more shown.
"""

from __future__ import annotations

import re

from django.core.validators import RegexValidator
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from pfdo.common.errors import ValidationFailed
from pfdo.compat import selectors
from pfdo.compat.api.base import CompatView, ok
from pfdo.compat.api.errors import Invalid, NotFound
from pfdo.compat.api.params import MAX_INT
from pfdo.compat.api.schema import CompatValidationErrorSerializer, envelope
from pfdo.compat.services import verification
from pfdo.enrolment.services.check import SUFFIX_ERROR

# A token this API gives out (secrets.token_urlsafe(32): 43 characters); anything else is
# unknown without asking the database.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
# The last 4 digits of the child's document, as the check takes them (ASCII digits).
DOCUMENT_SUFFIX_PATTERN = r"^[0-9]{4}$"
# A child's surname or first name: one letter or digit at least (a name of only dashes,
# apostrophes or spaces is no name: the check would refuse it).
NAME_PATTERN = r"^[^\u0000]*[^\W_][^\u0000]*$"
EMAIL_ERROR = "Укажите адрес электронной почты, например ivanova@example.ru."
NAME_ERROR = "Нужна хотя бы одна буква."
# The check's fields under the original's names.
CHECK_FIELDS = {"surname": "soname", "first_name": "name", "document_suffix": "number"}
NO_SUCH_CHECK = "Проверка не найдена или срок её действия истёк: проверьте зачисления заново."


def _invalid(exc: ValidationFailed, names: dict[str, str] | None = None) -> Invalid:
    names = names or {}
    fields = exc.fields or {"non_field_errors": [exc.message]}
    return Invalid({names.get(key, key): list(messages) for key, messages in fields.items()})


def _no_store(response):
    # What a check found is for this answer only, not for a shared cache.
    response["Cache-Control"] = "no-store"
    return response


TOKEN_PATH = OpenApiParameter(
    "token",
    str,
    location=OpenApiParameter.PATH,
    description="confirm_token ответа проверки (статистика) или токен из письма (подтверждение).",
)


# ---------------------------------------------------------------------------- the check


class _StrictBoolean(serializers.BooleanField):
    """A boolean as the schema states it: JSON true/false, or "true"/"false" in a form body.
    DRF's own also takes 0, 1, "yes", "on"..., which the schema calls the wrong type."""

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        if data in ("true", "false"):
            return data == "true"
        self.fail("invalid", input=data)


class CheckRequestSerializer(serializers.Serializer):
    soname = serializers.CharField(
        max_length=150,
        validators=[RegexValidator(NAME_PATTERN, NAME_ERROR)],
        help_text="Фамилия ребёнка.",
    )
    name = serializers.CharField(
        max_length=150,
        validators=[RegexValidator(NAME_PATTERN, NAME_ERROR)],
        help_text="Имя ребёнка.",
    )
    phname = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Отчество: принимается и не используется (проверка — по фамилии, имени и "
        "цифрам документа).",
    )
    number = serializers.CharField(
        max_length=20,
        trim_whitespace=False,
        validators=[RegexValidator(DOCUMENT_SUFFIX_PATTERN, SUFFIX_ERROR)],
        help_text="Последние 4 цифры номера свидетельства о рождении или паспорта.",
    )
    fillDocument = _StrictBoolean(required=False, help_text="Не используется.")
    operator_id = serializers.IntegerField(
        min_value=1, max_value=MAX_INT, help_text="ID регионального оператора (региона)."
    )
    region = serializers.DictField(
        required=False, help_text="Объект региона из /operator/regions: не используется."
    )

    class Meta:
        ref_name = "PfdoV2EnrollmentVerificationRequest"


class RecordMarkSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Номер зачисления в этой проверке (1..n).")
    program_name = serializers.CharField(help_text="Программа.")
    organization_name = serializers.CharField(help_text="Поставщик (краткое наименование).")
    date_start = serializers.DateField(help_text="Начало договора.")
    date_end = serializers.DateField(
        help_text="Окончание договора (у расторгнутого — последний день действия)."
    )
    status = serializers.CharField(help_text="active, completed или terminated.")
    status_name = serializers.CharField(help_text="Статус по-русски.")
    is_active = serializers.BooleanField(help_text="Договор действует сейчас.")

    class Meta:
        ref_name = "PfdoV2EnrollmentRecordMark"


class CheckResultSerializer(serializers.Serializer):
    record_marks = RecordMarkSerializer(many=True)
    confirm_token = serializers.CharField(
        help_text="Токен этой проверки на 24 часа: для verify и statistics."
    )
    count = serializers.IntegerField(help_text="Сколько зачислений найдено.")

    class Meta:
        ref_name = "PfdoV2EnrollmentVerificationResult"


class CheckView(CompatView):
    @extend_schema(
        operation_id="createEnrollmentVerification",
        summary="Проверить, куда зачислен ребёнок",
        description=(
            "Без входа. По фамилии, имени и последним 4 цифрам документа ребёнка — договоры, "
            "по которым он зачислен: программа, поставщик, даты, статус; ничего больше. Нет "
            "такого ребёнка и нет договоров — один и тот же ответ (пустой список и токен). "
            "Попытки ограничены с одного адреса и на одно имя ребёнка (сверх — 429 с "
            "Retry-After) и записываются в журнал действий без имени и цифр. Неизвестный "
            "operator_id — 422 с errors.operator_id."
        ),
        request=CheckRequestSerializer,
        responses={
            200: envelope("EnrollmentVerification", CheckResultSerializer),
            422: CompatValidationErrorSerializer,
        },
    )
    def post(self, request):
        data = CheckRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        # Before the check counts anything: an operator id tells nothing about a child.
        region = selectors.region(fields["operator_id"])
        if region is None:
            raise Invalid({"operator_id": ["Регионального оператора с таким ID нет."]})
        try:
            started = verification.start(
                actor=request.user,
                region=region,
                surname=fields["soname"],
                first_name=fields["name"],
                document_suffix=fields["number"],
            )
        except ValidationFailed as exc:
            raise _invalid(exc, CHECK_FIELDS) from exc
        marks = [
            {
                "id": mark.id,
                "program_name": mark.enrolment.program,
                "organization_name": mark.enrolment.provider,
                "date_start": mark.enrolment.starts_on.isoformat(),
                "date_end": mark.enrolment.ends_on.isoformat(),
                "status": mark.enrolment.status,
                "status_name": mark.enrolment.status_display,
                "is_active": mark.enrolment.is_active,
            }
            for mark in started.marks
        ]
        return _no_store(
            ok({"record_marks": marks, "confirm_token": started.token, "count": len(marks)})
        )


# ----------------------------------------------------------------------- the letter to confirm


class FakeMarkSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=MAX_INT, help_text="id из record_marks.")
    fake = serializers.BooleanField(help_text="true — семья не знает об этом зачислении.")

    class Meta:
        ref_name = "PfdoV2EnrollmentFakeMark"


class VerifyRequestSerializer(serializers.Serializer):
    confirm_token = serializers.CharField(max_length=200, help_text="Токен из ответа проверки.")
    soname = serializers.CharField(max_length=150, help_text="Фамилия заявителя (не хранится).")
    name = serializers.CharField(max_length=150, help_text="Имя заявителя (не хранится).")
    phname = serializers.CharField(
        max_length=150, required=False, allow_blank=True, allow_null=True
    )
    email = serializers.EmailField(
        max_length=254,
        error_messages={"invalid": EMAIL_ERROR},
        help_text="Адрес для письма с подтверждением.",
    )
    yanao = serializers.ChoiceField(choices=[0, 1], required=False, help_text="Не используется.")
    record_marks = FakeMarkSerializer(
        many=True,
        required=False,
        max_length=100,
        help_text="Какие из найденных зачислений семье незнакомы.",
    )

    class Meta:
        ref_name = "PfdoV2EnrollmentVerificationVerifyRequest"


class VerifyResultSerializer(serializers.Serializer):
    email_sent = serializers.BooleanField(help_text="Письмо со ссылкой отправлено.")
    fakes_count = serializers.IntegerField(help_text="Сколько зачислений отмечено незнакомыми.")

    class Meta:
        ref_name = "PfdoV2EnrollmentVerificationVerifyResult"


class VerifyView(CompatView):
    @extend_schema(
        operation_id="verifyEnrollmentVerification",
        summary="Отметить незнакомые зачисления и подтвердить почту",
        description=(
            "Семья отмечает найденные зачисления, о которых не знает, и оставляет адрес почты: "
            "туда уходит письмо со ссылкой (24 часа). Только после подтверждения адреса "
            "сведения получит оператор муниципалитета. Неизвестный или истёкший токен — 422 с "
            "errors.confirm_token. Письма ограничены с одного адреса, на один адрес почты и на "
            "одну проверку (сверх — 429 с Retry-After)."
        ),
        request=VerifyRequestSerializer,
        responses={
            200: envelope("EnrollmentVerificationVerify", VerifyResultSerializer),
            422: CompatValidationErrorSerializer,
        },
    )
    def post(self, request):
        data = VerifyRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        fakes = [mark["id"] for mark in fields.get("record_marks", []) if mark["fake"]]
        try:
            done = verification.ask_confirmation(
                actor=request.user,
                token=fields["confirm_token"],
                email=fields["email"],
                fakes=fakes,
            )
        except verification.VerificationNotFound as exc:
            raise Invalid({"confirm_token": [NO_SUCH_CHECK]}) from exc
        except ValidationFailed as exc:
            raise _invalid(exc) from exc
        return ok({"email_sent": True, "fakes_count": done.reported_fakes})


# ----------------------------------------------------------------------- the confirmation


class ConfirmResultSerializer(serializers.Serializer):
    confirmed = serializers.BooleanField(help_text="Адрес почты подтверждён.")
    fakes_count = serializers.IntegerField(
        help_text="Сколько незнакомых зачислений передано оператору."
    )

    class Meta:
        ref_name = "PfdoV2EnrollmentVerificationConfirmResult"


class ConfirmEmailView(CompatView):
    @extend_schema(
        operation_id="confirmEnrollmentVerificationEmail",
        summary="Подтвердить адрес почты по ссылке из письма",
        description=(
            "Токен из письма. В первый раз отмеченные незнакомые зачисления уходят операторам "
            "муниципалитета (программа, поставщик, даты, номер проверки — без имени ребёнка); "
            "повтор ничего не меняет и отвечает так же. Неизвестный или истёкший — 404."
        ),
        parameters=[TOKEN_PATH],
        request=None,
        responses={200: envelope("EnrollmentVerificationConfirm", ConfirmResultSerializer)},
    )
    def post(self, request, token: str):
        if not TOKEN.match(token):
            raise NotFound(NO_SUCH_CHECK)
        try:
            done = verification.confirm_email(actor=request.user, token=token)
        except verification.VerificationNotFound as exc:
            raise NotFound(NO_SUCH_CHECK) from exc
        return ok({"confirmed": True, "fakes_count": done.reported_fakes})


# ----------------------------------------------------------------------------- statistics


class StatisticSerializer(serializers.Serializer):
    certificates_verified_count = serializers.IntegerField(
        help_text="Проверок зачислений в регионе с подтверждённой почтой."
    )
    certificates_with_fakes_count = serializers.IntegerField(
        help_text="Из них — с отмеченными незнакомыми зачислениями."
    )

    class Meta:
        ref_name = "PfdoV2EnrollmentVerificationStatistic"


class StatisticsView(CompatView):
    @extend_schema(
        operation_id="getEnrollmentVerificationStatistics",
        summary="Статистика проверок зачислений региона",
        description=(
            "По confirm_token проверки (24 часа): сколько проверок в её регионе подтверждено и "
            "во скольких отмечены незнакомые зачисления. Только числа. Неизвестный токен — 404."
        ),
        parameters=[TOKEN_PATH],
        responses={
            200: envelope("EnrollmentVerificationStatistics", StatisticSerializer, many=True)
        },
    )
    def get(self, request, token: str):
        if not TOKEN.match(token):
            raise NotFound(NO_SUCH_CHECK)
        try:
            stats = verification.statistics(actor=request.user, token=token)
        except verification.VerificationNotFound as exc:
            raise NotFound(NO_SUCH_CHECK) from exc
        return ok(
            [
                {
                    "certificates_verified_count": stats.verified,
                    "certificates_with_fakes_count": stats.with_fakes,
                }
            ]
        )


routes = [
    path("enrollment-verification", CheckView.as_view(), name="compat-enrolment-check"),
    path("enrollment-verification/verify", VerifyView.as_view(), name="compat-enrolment-verify"),
    path(
        "enrollment-verification/confirm-email/<str:token>",
        ConfirmEmailView.as_view(),
        name="compat-enrolment-confirm-email",
    ),
    path(
        "enrollment-verification/statistics/<str:token>",
        StatisticsView.as_view(),
        name="compat-enrolment-statistics",
    ),
]
