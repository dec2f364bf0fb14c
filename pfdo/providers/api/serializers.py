"""API shapes of the provider registry. Serializers parse and render; services decide."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pfdo.common.api.fields import PersonNameField, SlugRelatedField, reason_field
from pfdo.common.authz import can
from pfdo.common.ids import MAX_ID
from pfdo.providers.models import (
    BANK_FIELDS,
    PROFILE_FIELDS,
    BankDetailsChange,
    ContractsOnExclusion,
    Provider,
    ProviderStaff,
)
from pfdo.providers.services.limits import MAX_ENROLMENT_LIMIT, TOO_MANY
from pfdo.territory.models import Municipality

_NO_MODEL_VALIDATORS = {name: {"validators": []} for name in ("inn", "ogrn", "bik")}


class ProviderConfidentialSerializer(serializers.ModelSerializer):
    """Bank details and the reason of the last decision: officials and the provider's staff."""

    class Meta:
        model = Provider
        fields = [
            "bank_name",
            "bik",
            "settlement_account",
            "correspondent_account",
            "status_reason",
            "status_changed_at",
            "applied_at",
            "included_at",
            "contracts_terminate_on",
        ]
        read_only_fields = fields


class ProviderSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    legal_form_display = serializers.CharField(source="get_legal_form_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    accepts_enrolments = serializers.BooleanField(read_only=True)
    confidential = serializers.SerializerMethodField(
        help_text="Банковские реквизиты и причина решения; null — вам не видны "
        "(видят оператор и плательщик муниципалитета и сотрудники поставщика)."
    )
    duplicate_reason = serializers.SerializerMethodField(
        help_text="Почему заявка отмечена как дубликат (ИНН уже в реестре муниципалитета); "
        "пусто — не отмечена. Только тем, кто решает по реестру; иначе null: заявителю "
        "ответили так же, как любому другому."
    )
    legal_address = serializers.SerializerMethodField(
        help_text="Юридический адрес. У ИП это адрес его регистрации по месту жительства: "
        "null для всех, кроме оператора и плательщика муниципалитета и сотрудников поставщика "
        "(публично — адрес ведения деятельности, actual_address)."
    )

    class Meta:
        model = Provider
        fields = [
            "id",
            "municipality",
            "full_name",
            "short_name",
            "legal_form",
            "legal_form_display",
            "inn",
            "kpp",
            "ogrn",
            "licence_exempt",
            "licence_number",
            "licence_issued_on",
            "director_name",
            "legal_address",
            "actual_address",
            "phone",
            "email",
            "website",
            "description",
            "status",
            "status_display",
            "accepts_enrolments",
            "rating_avg",
            "rating_count",
            "confidential",
            "duplicate_reason",
        ]
        extra_kwargs = {
            "rating_avg": {
                "help_text": "Средняя оценка родителей по всем программам поставщика, 1–5, "
                "два знака; null, пока оценок меньше трёх (тогда показывается только их "
                "число, rating_count)."
            },
            "rating_count": {"help_text": "Сколько раз родители оценили программы поставщика."},
        }
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_duplicate_reason(self, provider: Provider):
        request = self.context.get("request")
        if not can(getattr(request, "user", None), "providers.decide", provider):
            return None
        return provider.duplicate_reason

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_legal_address(self, provider: Provider) -> str | None:
        request = self.context.get("request")
        if not can(getattr(request, "user", None), "providers.view_legal_address", provider):
            return None
        return provider.legal_address

    @extend_schema_field(ProviderConfidentialSerializer(allow_null=True))
    def get_confidential(self, provider: Provider):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not can(user, "providers.view_confidential", provider):
            return None
        return ProviderConfidentialSerializer(provider).data


class ProviderApplicationSerializer(serializers.ModelSerializer):
    """The application: the card, the municipality and the first staff user (its admin)."""

    municipality = SlugRelatedField(
        slug_field="code",
        queryset=Municipality.objects.filter(is_active=True),
        help_text="Код муниципалитета, например vorkuta",
    )
    staff_login = serializers.CharField(max_length=150, write_only=True)
    staff_password = serializers.CharField(
        max_length=128, write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    staff_last_name = PersonNameField(write_only=True)
    staff_first_name = PersonNameField(write_only=True)
    staff_patronymic = PersonNameField(write_only=True, required=False, allow_blank=True)
    staff_email = serializers.EmailField(write_only=True)
    staff_phone = serializers.CharField(
        max_length=32, write_only=True, required=False, allow_blank=True
    )
    staff_position = serializers.CharField(
        max_length=200, write_only=True, required=False, allow_blank=True
    )

    class Meta:
        model = Provider
        fields = [
            "municipality",
            *PROFILE_FIELDS,
            "staff_login",
            "staff_password",
            "staff_last_name",
            "staff_first_name",
            "staff_patronymic",
            "staff_email",
            "staff_phone",
            "staff_position",
        ]
        extra_kwargs = _NO_MODEL_VALIDATORS
        validators: list = []  # the service checks duplicates with a field message


_BANK_LOCKED_HELP = (
    "После включения в реестр здесь не меняется: другое значение — 409 bank_details_locked; "
    "смена реквизитов — заявкой POST /api/v1/bank-details-changes/, её подтверждает оператор."
)


class ProviderUpdateSerializer(serializers.ModelSerializer):
    """PATCH of the card by the provider admin; ИНН, ОГРН and form are locked after inclusion,
    and so are the bank details (they change by a request the operator approves)."""

    class Meta:
        model = Provider
        fields = list(PROFILE_FIELDS)
        extra_kwargs = _NO_MODEL_VALIDATORS | {
            name: {**_NO_MODEL_VALIDATORS.get(name, {}), "help_text": _BANK_LOCKED_HELP}
            for name in BANK_FIELDS
        }
        validators: list = []


class DecisionSerializer(serializers.Serializer):
    reason = reason_field(required=False, help_text="Комментарий к решению, по желанию.")

    def decision(self) -> dict:
        """The service's keyword arguments besides actor and provider."""
        return {"reason": self.validated_data.get("reason", "")}


class RequiredDecisionSerializer(DecisionSerializer):
    """A refusal, a check or an exclusion: the provider is told why."""

    reason = reason_field(required=True, help_text="Причина решения (обязательна).")


class ExclusionSerializer(RequiredDecisionSerializer):
    contracts = serializers.ChoiceField(
        choices=ContractsOnExclusion.choices,
        help_text="Что будет с действующими договорами: run_to_end — действуют до окончания, "
        "terminate — расторгаются, последний день — terminate_on. Обязательно.",
        error_messages={"required": "Выберите, что будет с действующими договорами поставщика."},
    )
    terminate_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Последний день действия договоров (сегодня или позже), только при "
        "contracts=terminate. Более поздняя дата исполняется ежедневным заданием.",
    )

    def decision(self) -> dict:
        return {
            **super().decision(),
            "contracts": self.validated_data.get("contracts", ""),
            "terminate_on": self.validated_data.get("terminate_on"),
        }


class StaffSerializer(serializers.ModelSerializer):
    login = serializers.CharField(source="user.username", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)

    class Meta:
        model = ProviderStaff
        fields = [
            "id",
            "login",
            "full_name",
            "email",
            "position",
            "is_admin",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class StaffCreateSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=150)
    last_name = PersonNameField()
    first_name = PersonNameField()
    patronymic = PersonNameField(required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    position = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_admin = serializers.BooleanField(required=False, default=False)


class StaffCreatedSerializer(serializers.Serializer):
    staff = StaffSerializer()
    issued_password = serializers.CharField(
        allow_null=True,
        help_text="Одноразовый пароль: показывается только в первом ответе — повтор с тем же "
        "Idempotency-Key (Idempotent-Replayed: true) отвечает здесь null; сменить при первом "
        "входе.",
    )


class EnrolmentLimitSerializer(serializers.Serializer):
    period = serializers.IntegerField(source="period_id")
    period_name = serializers.CharField(source="period.name")
    max_children = serializers.IntegerField()


class EnrolmentLimitSetSerializer(serializers.Serializer):
    period = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    max_children = serializers.IntegerField(
        allow_null=True,
        min_value=0,
        max_value=MAX_ENROLMENT_LIMIT,
        error_messages={"max_value": TOO_MANY},
        help_text="null снимает лимит",
    )


# ---------------------------------------------------------------- bank details


class BankDetailsSerializer(serializers.Serializer):
    bank_name = serializers.CharField(read_only=True)
    bik = serializers.CharField(read_only=True)
    settlement_account = serializers.CharField(read_only=True)
    correspondent_account = serializers.CharField(read_only=True, allow_blank=True)


class _ProviderRefSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Provider
        fields = ["id", "short_name", "inn", "municipality"]
        read_only_fields = fields


class BankDetailsChangeSerializer(serializers.ModelSerializer):
    provider = _ProviderRefSerializer(read_only=True)
    status = serializers.ChoiceField(choices=BankDetailsChange.Status.choices, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    requested = BankDetailsSerializer(
        source="new_details", read_only=True, help_text="Запрошенные реквизиты."
    )
    previous = BankDetailsSerializer(
        source="old_details",
        read_only=True,
        help_text="Реквизиты, которые заявка заменяет (на момент подачи; после "
        "подтверждения — на момент подтверждения).",
    )
    filed_by = serializers.CharField(source="filed_by.full_name", read_only=True, default="")
    decided_by = serializers.CharField(source="decided_by.full_name", read_only=True, default="")

    class Meta:
        model = BankDetailsChange
        fields = [
            "id",
            "provider",
            "status",
            "status_display",
            "requested",
            "previous",
            "comment",
            "filed_by",
            "filed_at",
            "decided_by",
            "decided_at",
            "reason",
        ]
        read_only_fields = fields


class BankDetailsChangeCreateSerializer(serializers.Serializer):
    provider = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id поставщика (ваша организация)."
    )
    bank_name = serializers.CharField(max_length=300, allow_blank=True, help_text="Банк.")
    bik = serializers.CharField(max_length=9, allow_blank=True, help_text="БИК, 9 цифр.")
    settlement_account = serializers.CharField(
        max_length=20, allow_blank=True, help_text="Расчётный счёт, 20 цифр, ключ по БИК."
    )
    correspondent_account = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="Корр. счёт банка, 20 цифр."
    )
    comment = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="Почему меняются реквизиты."
    )


class BankDetailsRejectSerializer(serializers.Serializer):
    reason = reason_field(
        required=True, help_text="Причина отказа (обязательна).", missing="Укажите причину отказа."
    )
