"""API shapes of billing: lessons, attendance, advance requests and invoices with their lines,
payments, the month run and the reconciliation.

Output serializers read models and the selectors' results; input serializers only parse and
resolve references in the caller's scope — the services check the rules and write. Money is
in integer kopecks. A child appears only as id and name (and age): never the birth date,
СНИЛС or document.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pfdo.billing.models import (
    AdvanceLine,
    AdvanceRequest,
    Attendance,
    DocumentStatus,
    Invoice,
    InvoiceLine,
    Lesson,
    Payment,
    PeriodClosing,
)
from pfdo.catalog.models import Group
from pfdo.common.api.fields import reason_field
from pfdo.common.api.query import (
    CODE_MAX_LENGTH,
    CODE_MESSAGE,
    CODE_PATTERN,
    FullMatchValidator,
)
from pfdo.common.errors import NotFound
from pfdo.common.fields import MonthSerializerField
from pfdo.common.ids import MAX_ID
from pfdo.enrolment.api.serializers import (
    EnrolmentChildSerializer,
    EnrolmentGroupSerializer,
    EnrolmentPeriodSerializer,
    EnrolmentProviderSerializer,
)
from pfdo.providers.models import Provider
from pfdo.territory.models import Municipality

MAX_MARKS = 500


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


def _id_field(help_text: str, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text=help_text, **kwargs)


# ---------------------------------------------------------------------------- references


class BillingMunicipalitySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class BillingContractRefSerializer(serializers.Serializer):
    """The contract of a line or a mark: its number and the child (name and age only)."""

    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True, allow_null=True)
    child = EnrolmentChildSerializer(read_only=True)


# ---------------------------------------------------------------------- lessons, attendance


class LessonSerializer(serializers.ModelSerializer):
    group = EnrolmentGroupSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    minutes = serializers.IntegerField(read_only=True, help_text="Длительность, минут.")
    is_moved = serializers.BooleanField(
        read_only=True, help_text="Проводится не в день или не во время по расписанию."
    )
    note = serializers.CharField(
        read_only=True, allow_blank=True, help_text="Причина отмены; пусто, если не отменено."
    )

    class Meta:
        model = Lesson
        fields = [
            "id",
            "group",
            "scheduled_on",
            "scheduled_at",
            "held_on",
            "starts_at",
            "ends_at",
            "minutes",
            "status",
            "status_display",
            "is_moved",
            "note",
        ]
        read_only_fields = fields


def resolve_group(user, pk: int) -> Group:
    found = (
        Group.objects.for_user(user)
        .select_related("module__program__provider")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise serializers.ValidationError("Группа не найдена.")
    return found


class LessonGenerateSerializer(serializers.Serializer):
    group = _id_field("Id группы своего поставщика.")
    month = MonthSerializerField(help_text="Месяц, ГГГГ-ММ.")

    def validate_group(self, value):
        return resolve_group(_user(self.context), value)


class LessonCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="Причина отмены."
    )


class LessonMoveSerializer(serializers.Serializer):
    held_on = serializers.DateField(help_text="Новая дата проведения.")
    starts_at = serializers.TimeField(help_text="Начало, ЧЧ:ММ.")
    ends_at = serializers.TimeField(help_text="Окончание, ЧЧ:ММ.")


class AttendanceLessonSerializer(serializers.ModelSerializer):
    group = EnrolmentGroupSerializer(read_only=True)

    class Meta:
        model = Lesson
        fields = ["id", "group", "held_on", "starts_at", "ends_at"]
        read_only_fields = fields


class AttendanceSerializer(serializers.ModelSerializer):
    lesson = AttendanceLessonSerializer(read_only=True)
    contract = BillingContractRefSerializer(read_only=True)

    class Meta:
        model = Attendance
        fields = ["id", "lesson", "contract", "present", "marked_at"]
        read_only_fields = fields


class AttendanceMarkItemSerializer(serializers.Serializer):
    contract = _id_field("Id договора ребёнка этой группы.")
    present = serializers.BooleanField(help_text="true — был на занятии, false — не был.")


def resolve_lesson(user, pk: int) -> Lesson:
    found = (
        Lesson.objects.for_user(user).select_related("group__module__program").filter(pk=pk).first()
    )
    if found is None:
        raise serializers.ValidationError("Занятие не найдено.")
    return found


class AttendanceMarkSerializer(serializers.Serializer):
    lesson = _id_field("Id занятия.")
    marks = serializers.ListField(
        child=AttendanceMarkItemSerializer(),
        allow_empty=False,
        min_length=1,
        max_length=MAX_MARKS,
        help_text="Отметки по договорам детей группы.",
    )

    def validate_lesson(self, value):
        return resolve_lesson(_user(self.context), value)

    def validate_marks(self, value):
        seen: set[int] = set()
        repeated: set[int] = set()
        for mark in value:
            (repeated if mark["contract"] in seen else seen).add(mark["contract"])
        if repeated:
            raise serializers.ValidationError(
                "Договор указан дважды: " + ", ".join(str(pk) for pk in sorted(repeated)) + "."
            )
        return value


class AttendanceMarkResultSerializer(serializers.Serializer):
    lesson = serializers.IntegerField(help_text="Id занятия.")
    changed = serializers.IntegerField(help_text="Сколько отметок записано или изменено.")
    marks = AttendanceSerializer(many=True, help_text="Отметки занятия по переданным договорам.")


# ------------------------------------------------------------------------------ documents

_DOCUMENT_FIELDS = [
    "id",
    "provider",
    "municipality",
    "period",
    "month",
    "status",
    "status_display",
    "contracts_count",
    "paid_kopecks",
    "outstanding_kopecks",
    "built_at",
    "submitted_at",
    "decided_at",
    "reject_reason",
    "pay_by",
    "payee",
]


class PayeeSerializer(serializers.Serializer):
    """The payee's bank details a document carries: the provider's as they stood when the
    document was built, fixed for good when it was submitted."""

    bank_name = serializers.CharField(source="payee_bank_name", read_only=True, allow_blank=True)
    bik = serializers.CharField(source="payee_bik", read_only=True, allow_blank=True)
    settlement_account = serializers.CharField(
        source="payee_settlement_account", read_only=True, allow_blank=True
    )
    correspondent_account = serializers.CharField(
        source="payee_correspondent_account", read_only=True, allow_blank=True
    )


class _DocumentSerializer(serializers.ModelSerializer):
    provider = EnrolmentProviderSerializer(read_only=True)
    municipality = BillingMunicipalitySerializer(read_only=True)
    period = EnrolmentPeriodSerializer(read_only=True)
    month = serializers.DateField(read_only=True, help_text="Первое число месяца.")
    status = serializers.ChoiceField(choices=DocumentStatus.choices, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    outstanding_kopecks = serializers.IntegerField(
        read_only=True, help_text="Принято и ещё не оплачено, коп. (0, пока не принят)."
    )
    reject_reason = serializers.CharField(
        read_only=True, allow_blank=True, help_text="Причина отклонения; пусто, если нет."
    )
    payee = PayeeSerializer(
        source="*",
        read_only=True,
        help_text="Реквизиты получателя, с которыми документ подан (позднейшая смена "
        "реквизитов поставщика их не меняет).",
    )


class AdvanceLineSerializer(serializers.ModelSerializer):
    contract = BillingContractRefSerializer(read_only=True)

    class Meta:
        model = AdvanceLine
        fields = ["id", "contract", "month_kopecks"]
        read_only_fields = fields


class AdvanceRequestSerializer(_DocumentSerializer):
    """One shape for lists and the card; `lines` is filled on the card only."""

    lines = serializers.SerializerMethodField(
        help_text="Строки по договорам — в карточке заявки; в списках null "
        "(постранично — /advance-requests/{id}/lines/)."
    )

    class Meta:
        model = AdvanceRequest
        fields = [*_DOCUMENT_FIELDS, "base_kopecks", "share_percent", "amount_kopecks", "lines"]
        read_only_fields = fields

    @extend_schema_field(AdvanceLineSerializer(many=True, allow_null=True))
    def get_lines(self, document: AdvanceRequest):
        if not self.context.get("with_lines"):
            return None
        return AdvanceLineSerializer(document.lines.all(), many=True).data


INVOICE_STATUSES = [
    (v, label) for v, label in DocumentStatus.choices if v != DocumentStatus.WITHDRAWN
]


class InvoiceSerializer(_DocumentSerializer):
    # A month's invoice is never withdrawn (only an advance request is, by the invoice).
    status = serializers.ChoiceField(choices=INVOICE_STATUSES, read_only=True)
    carry_from = serializers.IntegerField(
        source="carry_from_id",
        read_only=True,
        allow_null=True,
        help_text="Id счёта, переплата по которому зачтена здесь, или null.",
    )

    kind = serializers.ChoiceField(
        choices=Invoice.Kind.choices,
        read_only=True,
        help_text="main — счёт месяца; supplementary — дополнительный счёт (договоры, "
        "вступившие после принятия счёта); correction — корректировка месяца, выставленного "
        "до его окончания (billed меньше planned: разница возвращена и переносится).",
    )
    title = serializers.CharField(read_only=True, help_text="«Дополнительный счёт № 1 за 12.2026».")

    class Meta:
        model = Invoice
        fields = [
            *_DOCUMENT_FIELDS,
            "kind",
            "sequence",
            "title",
            "basis",
            "boundary_rule",
            "planned_kopecks",
            "billed_kopecks",
            "advance_kopecks",
            "carry_in_kopecks",
            "offset_kopecks",
            "due_kopecks",
            "carry_out_kopecks",
            "carry_from",
        ]
        read_only_fields = fields


class InvoiceLineSerializer(serializers.ModelSerializer):
    contract = BillingContractRefSerializer(read_only=True)
    basis_note = serializers.CharField(read_only=True, allow_blank=True)

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "contract",
            "active_from",
            "active_to",
            "planned_kopecks",
            "billed_kopecks",
            "basis_note",
        ]
        read_only_fields = fields


def resolve_provider(user, pk: int) -> Provider:
    found = Provider.objects.for_user(user).select_related("municipality").filter(pk=pk).first()
    if found is None:
        raise serializers.ValidationError("Поставщик не найден.")
    return found


class DocumentBuildSerializer(serializers.Serializer):
    provider = _id_field(
        "Id поставщика (свой — для сотрудника; любой своего муниципалитета — для плательщика)."
    )
    month = MonthSerializerField(help_text="Месяц документа, ГГГГ-ММ.")

    def validate_provider(self, value):
        return resolve_provider(_user(self.context), value)


class DocumentRejectSerializer(serializers.Serializer):
    reason = reason_field(
        required=True,
        help_text="Причина отклонения (обязательна).",
        missing="Укажите причину отклонения.",
    )


# ------------------------------------------------------------------------------- payments


class PaymentSerializer(serializers.ModelSerializer):
    provider = EnrolmentProviderSerializer(read_only=True)
    advance_request = serializers.IntegerField(
        source="advance_id", read_only=True, allow_null=True, help_text="Id заявки на аванс."
    )
    invoice = serializers.IntegerField(
        source="invoice_id", read_only=True, allow_null=True, help_text="Id счёта."
    )
    month = serializers.SerializerMethodField(help_text="Месяц оплаченного документа.")
    payee = PayeeSerializer(
        source="document",
        read_only=True,
        help_text="Реквизиты получателя из оплаченного документа.",
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "provider",
            "advance_request",
            "invoice",
            "month",
            "order_number",
            "paid_on",
            "amount_kopecks",
            "recorded_at",
            "payee",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateField())
    def get_month(self, payment: Payment):
        document = payment.invoice if payment.invoice_id else payment.advance
        return document.month.isoformat()


class PaymentCreateSerializer(serializers.Serializer):
    # The schema says it: exactly one of them (oneOf, pfdo.common.api.schema).
    exactly_one_of = ("advance_request", "invoice")

    advance_request = _id_field("Id принятой заявки на аванс (или invoice).", required=False)
    invoice = _id_field("Id принятого счёта (или advance_request).", required=False)
    order_number = serializers.CharField(max_length=40, help_text="Номер платёжного поручения.")
    paid_on = serializers.DateField(help_text="Дата платежа (не в будущем).")
    amount_kopecks = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        error_messages={"min_value": "Сумма платежа должна быть больше нуля."},
        help_text="Сумма, коп.: больше нуля и не больше задолженности.",
    )

    def validate(self, attrs):
        user = _user(self.context)
        given = [name for name in self.exactly_one_of if name in attrs]
        if len(given) != 1:
            message = "Укажите либо заявку на аванс, либо счёт."
            raise serializers.ValidationError({"advance_request": [message], "invoice": [message]})
        name = given[0]
        model = AdvanceRequest if name == "advance_request" else Invoice
        document = (
            model.objects.for_user(user)
            .select_related("provider", "municipality", "period")
            .filter(pk=attrs[name])
            .first()
        )
        if document is None:
            raise serializers.ValidationError({name: ["Документ не найден."]})
        attrs["document"] = document
        return attrs


# ------------------------------------------------------------------ the month run, checks


def resolve_municipality(value: str) -> Municipality:
    """A municipality by its code (vorkuta) or id."""
    text = (value or "").strip()
    found = Municipality.objects.filter(code=text).first()
    if found is None and text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        found = Municipality.objects.filter(pk=int(text)).first()
    if found is None:
        raise serializers.ValidationError("Муниципалитет не найден.")
    return found


class MunicipalityMonthSerializer(serializers.Serializer):
    municipality = serializers.CharField(
        max_length=64, help_text="Код муниципалитета (например vorkuta) или его id."
    )
    month = MonthSerializerField(help_text="Месяц, ГГГГ-ММ.")

    def validate_municipality(self, value):
        return resolve_municipality(value)


class ReconciliationQuerySerializer(serializers.Serializer):
    """The query of the reconciliation: a well-formed code or id (else 400); one that names no
    municipality is a 404 (the report asked for does not exist)."""

    municipality = serializers.CharField(
        max_length=CODE_MAX_LENGTH,
        validators=[FullMatchValidator(CODE_PATTERN, CODE_MESSAGE)],
        trim_whitespace=False,
        help_text="Код муниципалитета (например vorkuta) или его id; такого нет — 404.",
    )
    month = MonthSerializerField(help_text="Месяц, ГГГГ-ММ.")

    def named_municipality(self) -> Municipality:
        """The municipality named by the checked query; none is NotFound."""
        try:
            return resolve_municipality(self.validated_data["municipality"])
        except serializers.ValidationError as exc:
            raise NotFound(
                "Муниципалитет не найден.", fields={"municipality": list(exc.detail)}
            ) from exc


class ReconciliationCheckSerializer(serializers.Serializer):
    label = serializers.CharField()
    left_kopecks = serializers.IntegerField()
    right_kopecks = serializers.IntegerField()
    ok = serializers.BooleanField()


class ReconciliationProviderSerializer(serializers.Serializer):
    provider_id = serializers.IntegerField()
    provider = serializers.CharField()
    planned_kopecks = serializers.IntegerField()
    lines_kopecks = serializers.IntegerField()
    advance_kopecks = serializers.IntegerField()
    advance_paid_kopecks = serializers.IntegerField()
    due_kopecks = serializers.IntegerField()
    invoice_paid_kopecks = serializers.IntegerField()
    carry_in_kopecks = serializers.IntegerField()
    carry_out_kopecks = serializers.IntegerField()
    paid_kopecks = serializers.IntegerField()
    outstanding_kopecks = serializers.IntegerField()
    invoice_status = serializers.CharField()
    balanced = serializers.BooleanField()


class ReconciliationSerializer(serializers.Serializer):
    """Σ billed = Σ invoice lines = Σ payments + outstanding, per provider and in total."""

    municipality = BillingMunicipalitySerializer()
    month = serializers.DateField(help_text="Первое число месяца.")
    ok = serializers.BooleanField(help_text="Все равенства сходятся и учёт без расхождений.")
    checks = ReconciliationCheckSerializer(many=True)
    providers = ReconciliationProviderSerializer(many=True)
    lines_kopecks = serializers.IntegerField(help_text="Σ строк принятых счетов, коп.")
    paid_kopecks = serializers.IntegerField(help_text="Σ оплачено, коп.")
    outstanding_kopecks = serializers.IntegerField(help_text="Σ к оплате, коп.")
    unbilled_months = serializers.IntegerField(
        help_text="Месяцев договоров с резервом, ещё не выставленных счётом."
    )
    ledger_problems = serializers.ListField(child=serializers.CharField())
    domain_problems = serializers.ListField(
        child=serializers.CharField(),
        help_text="Нарушения правил о деньгах по муниципалитету: резерв принятого месяца не "
        "списан и не возвращён, списание после окончания сертификата или до принятия договора, "
        "профинансировано сертификатов больше квоты периода.",
    )

    @staticmethod
    def from_reconciliation(rec, municipality) -> dict:
        return {
            "municipality": municipality,
            "month": rec.month,
            "ok": rec.ok,
            "checks": [
                {
                    "label": c.label,
                    "left_kopecks": c.left_kopecks,
                    "right_kopecks": c.right_kopecks,
                    "ok": c.ok,
                }
                for c in rec.checks
            ],
            "providers": rec.providers,
            "lines_kopecks": rec.total("lines_kopecks"),
            "paid_kopecks": rec.total("paid_kopecks"),
            "outstanding_kopecks": rec.total("outstanding_kopecks"),
            "unbilled_months": rec.unbilled_months,
            "ledger_problems": rec.ledger_problems,
            "domain_problems": rec.domain_problems,
        }


class ClosePeriodSerializer(serializers.Serializer):
    period = serializers.IntegerField(help_text="Id периода финансирования.")


class PeriodClosingSerializer(serializers.ModelSerializer):
    """The result of a period close."""

    period = serializers.IntegerField(source="period_id", read_only=True)
    next_period = serializers.IntegerField(source="next_period_id", read_only=True, allow_null=True)
    continuations_offered = serializers.IntegerField(
        read_only=True,
        help_text="Договоров, которым предложено продолжение на худших для семьи условиях "
        "(ждут согласия).",
    )

    class Meta:
        model = PeriodClosing
        fields = [
            "period",
            "next_period",
            "started_at",
            "finished_at",
            "lapsed_kopecks",
            "lapsed_certificates",
            "continued_contracts",
            "continuations_offered",
            "ended_contracts",
        ]
        read_only_fields = fields
