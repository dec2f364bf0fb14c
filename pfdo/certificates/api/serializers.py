"""API shapes of children, certificate applications and certificates.

Output serializers read models and what the view computed once per page (balances,
duplicate counts, the user's own children); input serializers only parse — the services
check the domain rules and write. Money is in integer kopecks.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pfdo.certificates.models import (
    Certificate,
    CertificateApplication,
    Child,
    Guardianship,
    SwitchRequest,
)
from pfdo.certificates.rules import manages_municipality
from pfdo.common.api.fields import PersonNameField, SlugRelatedField, reason_field
from pfdo.common.ids import MAX_ID
from pfdo.ledger.selectors import CertificateBalance, TransferKind
from pfdo.territory.models import Municipality

# ------------------------------------------------------------------------------- helpers


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


def sees_identifiers(context, child: Child) -> bool:
    """СНИЛС and the document are for the operator only (issue 4), on a single card whose
    read is logged (ChildViewSet.retrieve). Parents typed them in once and need them nowhere
    else; lists and other roles get null.
    """
    user = _user(context)
    if user is None or not user.is_authenticated:
        return False
    return bool(context.get("card")) and manages_municipality(user, child.municipality)


# ---------------------------------------------------------------------------- children


OPERATOR_ONLY = (
    "Только оператору (администратору региона) в карточке одного ребёнка; "
    "в списках и остальным — null."
)


class ChildSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sex_display = serializers.CharField(source="get_sex_display", read_only=True)
    full_name = serializers.CharField(read_only=True)
    age_years = serializers.SerializerMethodField(help_text="Полных лет на сегодня.")
    document_type = serializers.SerializerMethodField(
        help_text=OPERATOR_ONLY,
    )
    document_number = serializers.SerializerMethodField(
        help_text=OPERATOR_ONLY,
    )
    snils = serializers.SerializerMethodField(
        help_text="11 цифр без разделителей. " + OPERATOR_ONLY
    )

    class Meta:
        model = Child
        fields = [
            "id",
            "last_name",
            "first_name",
            "patronymic",
            "full_name",
            "birth_date",
            "sex",
            "sex_display",
            "age_years",
            "municipality",
            "has_disability",
            "document_type",
            "document_number",
            "snils",
        ]
        read_only_fields = fields

    def get_age_years(self, child: Child) -> int:
        return child.age_years()

    @extend_schema_field(
        serializers.ChoiceField(choices=Child.DocumentType.choices, allow_null=True)
    )
    def get_document_type(self, child: Child):
        return child.document_type if sees_identifiers(self.context, child) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_document_number(self, child: Child):
        return child.document_number if sees_identifiers(self.context, child) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_snils(self, child: Child):
        return child.snils if sees_identifiers(self.context, child) else None


class ChildBriefSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Child
        fields = ["id", "full_name"]
        read_only_fields = fields


class ChildWithBirthDateSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Child
        fields = ["id", "full_name", "birth_date"]
        read_only_fields = fields


class ParentBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(read_only=True)


# ------------------------------------------------------------------------ certificates


class BalanceSerializer(serializers.Serializer):
    granted_kopecks = serializers.IntegerField(help_text="Начислено за период, коп.")
    reserved_kopecks = serializers.IntegerField(help_text="Зарезервировано по договорам, коп.")
    spent_kopecks = serializers.IntegerField(help_text="Списано за обучение, коп.")
    returned_kopecks = serializers.IntegerField(
        help_text="Возвращено в бюджет (аннулирование, сгорание), коп."
    )
    available_kopecks = serializers.IntegerField(
        help_text="Доступно: начислено − зарезервировано − списано − возвращено, коп."
    )


class CertificateRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certificate
        fields = ["id", "number"]
        read_only_fields = fields


class CertificateSerializer(serializers.ModelSerializer):
    child = ChildBriefSerializer(read_only=True)
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    type_display = serializers.CharField(source="get_type_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    balance = serializers.SerializerMethodField(
        help_text="Деньги сертификата в текущем периоде финансирования его муниципалитета "
        "(все нули, если периода нет или это сертификат учёта)."
    )

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "child",
            "municipality",
            "type",
            "type_display",
            "type_reason",
            "status",
            "status_display",
            "status_reason",
            "issued_at",
            "valid_until",
            "status_changed_at",
            "balance",
        ]
        read_only_fields = fields

    @extend_schema_field(BalanceSerializer)
    def get_balance(self, certificate: Certificate):
        money = self.context.get("balances", {}).get(certificate.pk) or CertificateBalance()
        return BalanceSerializer(money).data


class CertificateMovementSerializer(serializers.Serializer):
    """One line of the certificate's statement."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=TransferKind.choices)
    kind_display = serializers.CharField(source="get_kind_display")
    description = serializers.CharField()
    effect_kopecks = serializers.IntegerField(
        help_text="Влияние на сертификат, коп.: + зачисление, − списание или резерв."
    )
    movement = serializers.CharField(
        help_text="зачислено, списано, зарезервировано или возвращено из резерва"
    )
    period = serializers.SerializerMethodField(help_text="Id периода финансирования.")
    period_name = serializers.SerializerMethodField()

    def _period(self, row):
        periods = self.context.get("periods_by_account", {})
        return periods.get(row.debit_account_id) or periods.get(row.credit_account_id)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_period(self, row):
        period = self._period(row)
        return period.pk if period else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_period_name(self, row):
        period = self._period(row)
        return period.name if period else None


class SwitchRequestSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = SwitchRequest
        fields = [
            "id",
            "certificate",
            "status",
            "status_display",
            "reason",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields


class SwitchResultSerializer(serializers.Serializer):
    switch_request = SwitchRequestSerializer()
    certificate = CertificateSerializer(
        help_text="Сертификат после запроса: при свободном месте в квоте он уже финансирования."
    )


class ParentPasswordSerializer(serializers.Serializer):
    login = serializers.CharField(help_text="Логин законного представителя.")
    issued_password = serializers.CharField(
        allow_null=True,
        help_text="Одноразовый пароль: показывается только в первом ответе — повтор с тем же "
        "Idempotency-Key (Idempotent-Replayed: true) отвечает здесь null; при первом входе "
        "пароль нужно сменить.",
    )


# ------------------------------------------------------------------------ applications


class CertificateApplicationSerializer(serializers.ModelSerializer):
    child = ChildWithBirthDateSerializer(read_only=True)
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    parent = ParentBriefSerializer(read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    certificate = serializers.SerializerMethodField(help_text="Выданный сертификат или null.")
    duplicates_count = serializers.SerializerMethodField(
        help_text="Сколько других детей региона совпадают по СНИЛС или документу (по ключевому "
        "хешу). Только должностным лицам муниципалитета; иначе null."
    )
    duplicate_reason = serializers.SerializerMethodField(
        help_text="Почему заявление отмечено как дубликат (например «ребёнок уже имеет "
        "сертификат № …»); пусто — не отмечено. Только должностным лицам муниципалитета; "
        "иначе null: заявителю при подаче ответили так же, как любому другому."
    )

    class Meta:
        model = CertificateApplication
        fields = [
            "id",
            "child",
            "municipality",
            "parent",
            "channel",
            "channel_display",
            "wants_financing",
            "status",
            "status_display",
            "reason",
            "created_at",
            "decided_at",
            "certificate",
            "duplicates_count",
            "duplicate_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(CertificateRefSerializer(allow_null=True))
    def get_certificate(self, application: CertificateApplication):
        try:
            certificate = application.certificate
        except Certificate.DoesNotExist:
            return None
        return CertificateRefSerializer(certificate).data

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_duplicates_count(self, application: CertificateApplication):
        if not manages_municipality(_user(self.context), application.municipality):
            return None
        return self.context.get("duplicate_flags", {}).get(application.pk, 0)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_duplicate_reason(self, application: CertificateApplication):
        if not manages_municipality(_user(self.context), application.municipality):
            return None
        return application.duplicate_reason


def _channel_of(user, names_a_parent: bool) -> str:
    """The way an application without `channel` is filed: in person when the body names a
    parent (existing or new); otherwise online for a parent, in person for everyone else (an
    official files for a family)."""
    if names_a_parent:
        return CertificateApplication.Channel.IN_PERSON
    if user is None or user.has_role("parent"):
        return CertificateApplication.Channel.ONLINE
    return CertificateApplication.Channel.IN_PERSON


class CertificateApplicationCreateSerializer(serializers.Serializer):
    """A parent applies online for their child; an operator files in person for a family.

    In person, name the parent: `parent` (an existing user's id or login) or the new parent's
    `parent_last_name`, `parent_first_name` (with optional patronymic, e-mail and phone): the
    account is created without a password, which is issued with the certificate.
    """

    municipality = SlugRelatedField(
        slug_field="code",
        queryset=Municipality.objects.all(),
        help_text="Код муниципалитета, например vorkuta",
    )
    channel = serializers.ChoiceField(
        choices=[
            (CertificateApplication.Channel.ONLINE, "через личный кабинет (родитель)"),
            (CertificateApplication.Channel.IN_PERSON, "лично у оператора"),
        ],
        required=False,
        help_text="online — законный представитель из личного кабинета; in_person — оператор "
        "за семью (нужен parent или данные нового родителя). Без channel — по переданным "
        "полям (parent или данные нового родителя — in_person), иначе по роли: законному "
        "представителю online, остальным in_person.",
    )
    relation = serializers.ChoiceField(
        choices=Guardianship.Relation.choices, default=Guardianship.Relation.MOTHER
    )
    wants_financing = serializers.BooleanField(
        default=True, help_text="false — нужны только бесплатные (бюджетные) программы."
    )
    last_name = PersonNameField()
    first_name = PersonNameField()
    patronymic = PersonNameField(required=False, allow_blank=True)
    birth_date = serializers.DateField(help_text="Ребёнку от 5 до 18 лет.")
    sex = serializers.ChoiceField(choices=Child.Sex.choices)
    document_type = serializers.ChoiceField(
        choices=Child.DocumentType.choices, default=Child.DocumentType.BIRTH_CERTIFICATE
    )
    document_number = serializers.CharField(
        max_length=40, help_text="Например II-ЕА 123456 или 8712 345678."
    )
    snils = serializers.CharField(
        max_length=20, help_text="СНИЛС ребёнка: 112-233-445 95 или 11 цифр подряд."
    )
    has_disability = serializers.BooleanField(default=False)
    parent = serializers.CharField(
        max_length=150,
        required=False,
        help_text="Только лично у оператора: id или логин существующего пользователя.",
    )
    parent_last_name = PersonNameField(required=False, allow_blank=True)
    parent_first_name = PersonNameField(required=False, allow_blank=True)
    parent_patronymic = PersonNameField(required=False, allow_blank=True)
    email = serializers.EmailField(
        required=False, allow_blank=True, help_text="E-mail нового законного представителя."
    )
    phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="Телефон нового представителя."
    )

    NEW_PARENT_FIELDS = (
        "parent_last_name",
        "parent_first_name",
        "parent_patronymic",
        "email",
        "phone",
    )

    def validate(self, attrs):
        user = _user(self.context)
        new_parent = [name for name in self.NEW_PARENT_FIELDS if attrs.get(name)]
        if not attrs.get("channel"):
            attrs["channel"] = _channel_of(user, bool(attrs.get("parent") or new_parent))
        if attrs["channel"] == CertificateApplication.Channel.ONLINE:
            errors = {
                name: "Только для заявления лично у оператора (channel = in_person)."
                for name in ["parent", *new_parent]
                if attrs.get(name)
            }
            if user is not None and not user.has_role("parent"):
                errors["channel"] = (
                    "Онлайн подаёт законный представитель из своего кабинета; оператор "
                    "подаёт заявление лично: channel = in_person."
                )
            if errors:
                raise serializers.ValidationError(errors)
            return attrs
        if attrs.get("parent") and new_parent:
            raise serializers.ValidationError(
                {"parent": "Укажите либо существующего родителя, либо данные нового, не оба."}
            )
        if not attrs.get("parent") and not new_parent:
            raise serializers.ValidationError(
                {
                    "parent": "Укажите родителя: id или логин, или фамилию и имя нового "
                    "законного представителя."
                }
            )
        return attrs

    def child_fields(self) -> dict:
        names = (
            "last_name",
            "first_name",
            "patronymic",
            "birth_date",
            "sex",
            "document_type",
            "document_number",
            "snils",
            "has_disability",
        )
        return {name: self.validated_data.get(name, "") for name in names}

    def new_parent_fields(self) -> dict | None:
        values = self.validated_data
        if not any(values.get(name) for name in self.NEW_PARENT_FIELDS):
            return None
        return {
            "last_name": values.get("parent_last_name", ""),
            "first_name": values.get("parent_first_name", ""),
            "patronymic": values.get("parent_patronymic", ""),
            "email": values.get("email", ""),
            "phone": values.get("phone", ""),
        }


class CertificateApprovalSerializer(serializers.Serializer):
    application = CertificateApplicationSerializer()
    certificate = CertificateSerializer()
    login = serializers.CharField(
        allow_null=True,
        help_text="Логин законного представителя — только если ему выдан пароль, иначе null.",
    )
    issued_password = serializers.CharField(
        allow_null=True,
        help_text="Одноразовый пароль нового кабинета: показывается только в первом ответе — "
        "повтор с тем же Idempotency-Key (Idempotent-Replayed: true) отвечает здесь null. "
        "null и в первом ответе — у представителя уже есть пароль.",
    )


# ------------------------------------------------------------------------------ inputs


class CertificateReasonSerializer(serializers.Serializer):
    reason = reason_field(required=False, help_text="Комментарий, по желанию.")


class CertificateRequiredReasonSerializer(serializers.Serializer):
    """A refusal, a suspension, a cancellation: the family is told why."""

    reason = reason_field(required=True, help_text="Причина (обязательна): её увидит семья.")


class ReissuePasswordSerializer(serializers.Serializer):
    parent = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Id законного представителя; по умолчанию — подавший заявление.",
    )
