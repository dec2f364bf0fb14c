"""Lessons and attendance, advance requests, invoices with their lines, payments, period close.

Amounts are integer kopecks of the certificate part only (the family's co-payment is settled
between the family and the provider). An advance request is unique per provider and month; an
invoice per provider, month and sequence: sequence 0 is the month's invoice, later ones are
supplementary invoices (contract months that joined after the month was invoiced) and
corrections (a month invoiced before it ended, recomputed once it has). A repeated or
interrupted month run cannot create one twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django_fsm import transition

from pfdo.billing.querysets import (
    AdvanceLineQuerySet,
    AttendanceQuerySet,
    DocumentQuerySet,
    LessonQuerySet,
    LineQuerySet,
    PaymentQuerySet,
    PeriodClosingQuerySet,
)
from pfdo.common import clock
from pfdo.common.fsm import StateField
from pfdo.common.months import month_label
from pfdo.providers.models import BANK_FIELDS

# The payee's bank details a document carries (`payee_bank_name`, …), one per provider field.
PAYEE_FIELDS = tuple(f"payee_{name}" for name in BANK_FIELDS)


class Lesson(models.Model):
    """One lesson of a group, generated from its schedule; it may be cancelled or moved.

    (`scheduled_on`, `scheduled_at`) is where the schedule put it and never changes, so
    generating a month again finds the lessons already there.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "по расписанию"
        CANCELLED = "cancelled", "отменено"

    group = models.ForeignKey("catalog.Group", on_delete=models.CASCADE, related_name="lessons")
    scheduled_on = models.DateField("дата по расписанию")
    scheduled_at = models.TimeField("время по расписанию")
    held_on = models.DateField("дата проведения")
    starts_at = models.TimeField("начало")
    ends_at = models.TimeField("окончание")
    status = StateField(
        "статус", max_length=16, choices=Status.choices, default=Status.PLANNED, protected=False
    )
    note = models.CharField("примечание", max_length=300, blank=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        verbose_name = "занятие"
        verbose_name_plural = "занятия"
        ordering = ["group", "held_on", "starts_at"]
        indexes = [models.Index(fields=["group", "held_on"], name="billing_lesson_group_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "scheduled_on", "scheduled_at"], name="billing_lesson_unique"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="billing_lesson_time_ordered",
                violation_error_message="Занятие должно заканчиваться позже, чем начинается.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.held_on:%d.%m.%Y} {self.starts_at:%H:%M}"

    @property
    def minutes(self) -> int:
        return (self.ends_at.hour * 60 + self.ends_at.minute) - (
            self.starts_at.hour * 60 + self.starts_at.minute
        )

    @property
    def is_moved(self) -> bool:
        return self.held_on != self.scheduled_on or self.starts_at != self.scheduled_at

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    # Cancelling again changes the reason; restoring a held lesson changes nothing.
    @transition(field=status, source=[Status.PLANNED, Status.CANCELLED], target=Status.CANCELLED)
    def cancel(self, *, reason: str = "") -> None:
        self.note = (reason or "").strip()[:300]

    @transition(field=status, source=[Status.PLANNED, Status.CANCELLED], target=Status.PLANNED)
    def restore(self) -> None:
        self.note = ""


class Attendance(models.Model):
    """Whether the child of a contract came to a lesson."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="attendance")
    contract = models.ForeignKey(
        "enrolment.Contract", on_delete=models.PROTECT, related_name="attendance"
    )
    present = models.BooleanField("присутствовал")
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField("отмечено", default=clock.now)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = "отметка посещаемости"
        verbose_name_plural = "посещаемость"
        ordering = ["lesson", "contract"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "contract"], name="billing_attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.lesson}: {'был' if self.present else 'не был'}"


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", "черновик"
    SUBMITTED = "submitted", "подан плательщику"
    ACCEPTED = "accepted", "принят"
    REJECTED = "rejected", "отклонён"
    WITHDRAWN = "withdrawn", "не подан (месяц выставлен счётом)"


class _Document(models.Model):
    """What advance requests and invoices share: provider, month, state, decisions, payment."""

    Status = DocumentStatus

    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+")
    municipality = models.ForeignKey(
        "territory.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    period = models.ForeignKey(
        "financing.FinancingPeriod", on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField("месяц (первое число)")
    status = StateField(
        "статус",
        max_length=16,
        choices=DocumentStatus.choices,
        default=DocumentStatus.DRAFT,
        protected=False,
    )
    contracts_count = models.PositiveIntegerField("договоров", default=0)
    paid_kopecks = models.BigIntegerField("оплачено, коп.", default=0)
    built_at = models.DateTimeField("сформирован", default=clock.now)
    submitted_at = models.DateTimeField("подан", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField("решение", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reject_reason = models.TextField("причина отклонения", blank=True)
    pay_by = models.DateField("оплатить до", null=True, blank=True)
    # Where the money goes, as the provider's details stood when the document was last built
    # or submitted. Once it is with the payer it never changes: an approved change of the
    # provider's bank details redirects new documents only, never one already issued.
    payee_bank_name = models.CharField("банк получателя", max_length=300, blank=True)
    payee_bik = models.CharField("БИК банка получателя", max_length=9, blank=True)
    payee_settlement_account = models.CharField(
        "расчётный счёт получателя", max_length=20, blank=True
    )
    payee_correspondent_account = models.CharField(
        "корр. счёт банка получателя", max_length=20, blank=True
    )

    objects = DocumentQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-month", "provider"]

    @property
    def outstanding_kopecks(self) -> int:
        if self.status != DocumentStatus.ACCEPTED:
            return 0
        return self.payable_kopecks - self.paid_kopecks

    def take_payee(self) -> None:
        """Copy the provider's bank details as they stand now (the provider row the caller
        loaded with the document)."""
        for name in BANK_FIELDS:
            setattr(self, f"payee_{name}", getattr(self.provider, name))

    # The life of a document: built (again) as a draft, submitted, accepted or rejected;
    # a draft or rejected advance request is withdrawn once the month is invoiced.

    @transition(
        field=status,
        source=[DocumentStatus.DRAFT, DocumentStatus.REJECTED],
        target=DocumentStatus.DRAFT,
    )
    def redraft(self) -> None:
        self.built_at = clock.now()
        self.reject_reason = ""
        self.take_payee()

    @transition(field=status, source=DocumentStatus.DRAFT, target=DocumentStatus.SUBMITTED)
    def submit(self, *, by) -> None:
        self.submitted_at = clock.now()
        self.submitted_by = by
        self.take_payee()  # the details it is issued with, for good

    @transition(field=status, source=DocumentStatus.SUBMITTED, target=DocumentStatus.ACCEPTED)
    def accept(self, *, by, pay_by) -> None:
        self.decided_at = clock.now()
        self.decided_by = by
        self.reject_reason = ""
        self.pay_by = pay_by

    @transition(field=status, source=DocumentStatus.SUBMITTED, target=DocumentStatus.REJECTED)
    def reject(self, *, by, reason: str) -> None:
        self.decided_at = clock.now()
        self.decided_by = by
        self.reject_reason = reason

    @transition(
        field=status,
        source=[DocumentStatus.DRAFT, DocumentStatus.REJECTED],
        target=DocumentStatus.WITHDRAWN,
    )
    def withdraw(self) -> None: ...


class AdvanceRequest(_Document):
    """Заявка на авансирование: `share_percent` of the month's certificate amounts."""

    base_kopecks = models.BigIntegerField("сумма месяца по договорам, коп.", default=0)
    share_percent = models.PositiveSmallIntegerField("доля аванса, %")
    amount_kopecks = models.BigIntegerField("сумма аванса, коп.", default=0)

    class Meta(_Document.Meta):
        verbose_name = "заявка на аванс"
        verbose_name_plural = "заявки на аванс"
        constraints = [
            models.UniqueConstraint(fields=["provider", "month"], name="billing_advance_once"),
            models.CheckConstraint(
                name="billing_advance_amounts",
                condition=Q(
                    base_kopecks__gte=0,
                    amount_kopecks__gte=0,
                    amount_kopecks__lte=F("base_kopecks"),
                    paid_kopecks__gte=0,
                    paid_kopecks__lte=F("amount_kopecks"),
                    share_percent__lte=100,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Заявка на аванс за {self.month:%m.%Y} — {self.provider}"

    @property
    def payable_kopecks(self) -> int:
        return self.amount_kopecks


class AdvanceLine(models.Model):
    request = models.ForeignKey(AdvanceRequest, on_delete=models.CASCADE, related_name="lines")
    contract = models.ForeignKey("enrolment.Contract", on_delete=models.PROTECT, related_name="+")
    month_kopecks = models.BigIntegerField("сумма месяца, коп.")

    objects = AdvanceLineQuerySet.as_manager()

    class Meta:
        verbose_name = "строка заявки на аванс"
        verbose_name_plural = "строки заявок на аванс"
        ordering = ["request", "contract"]
        constraints = [
            models.UniqueConstraint(fields=["request", "contract"], name="billing_advline_once"),
            models.CheckConstraint(
                condition=Q(month_kopecks__gte=0), name="billing_advline_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request}: договор {self.contract_id}"


class InvoiceKind(models.TextChoices):
    MAIN = "main", "счёт"
    SUPPLEMENTARY = "supplementary", "дополнительный счёт"
    CORRECTION = "correction", "корректировка"


# A supplementary invoice or a correction still being worked on: one of each at a time.
OPEN_STATUSES = (DocumentStatus.DRAFT, DocumentStatus.SUBMITTED, DocumentStatus.REJECTED)


class Invoice(_Document):
    """Счёт for a month: the lines (one per contract) less the advance and earlier overpayment.

    billed = offset + due; offset = min(billed, advance + carry_in) is settled against what
    was (or will be) paid in advance; carry_out = advance + carry_in − offset is the
    overpayment left for the next month's invoice.

    A supplementary invoice (sequence ≥ 1) bills contract months that joined after the month's
    invoice was accepted: no advance and no earlier overpayment of its own. A correction
    recomputes the lines of a month invoiced before it ended: planned = what was charged,
    billed = what is due now; the difference returns to the certificates and is carried out
    like an overpayment (offset against the provider's next invoice).
    """

    Kind = InvoiceKind

    kind = models.CharField(
        "вид", max_length=16, choices=InvoiceKind.choices, default=InvoiceKind.MAIN
    )
    sequence = models.PositiveSmallIntegerField("номер документа месяца", default=0)

    basis = models.CharField("основание оплаты", max_length=32)
    boundary_rule = models.CharField("первый и последний месяц", max_length=32)
    planned_kopecks = models.BigIntegerField("по договорам за месяц, коп.", default=0)
    billed_kopecks = models.BigIntegerField("к оплате за месяц, коп.", default=0)
    advance_kopecks = models.BigIntegerField("аванс за месяц, коп.", default=0)
    carry_in_kopecks = models.BigIntegerField("переплата прошлых месяцев, коп.", default=0)
    offset_kopecks = models.BigIntegerField("зачтено аванса, коп.", default=0)
    due_kopecks = models.BigIntegerField("к перечислению, коп.", default=0)
    carry_out_kopecks = models.BigIntegerField("переносится на следующий месяц, коп.", default=0)
    carry_from = models.OneToOneField(
        "self",
        verbose_name="переплата взята из счёта",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carried_into",
    )

    class Meta(_Document.Meta):
        verbose_name = "счёт"
        verbose_name_plural = "счета"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "month", "sequence"], name="billing_invoice_once"
            ),
            models.UniqueConstraint(
                fields=["provider", "month"],
                condition=Q(kind=InvoiceKind.MAIN),
                name="billing_invoice_main_once",
            ),
            models.UniqueConstraint(
                fields=["provider", "month", "kind"],
                condition=~Q(kind=InvoiceKind.MAIN) & Q(status__in=OPEN_STATUSES),
                name="billing_invoice_one_open_extra",
            ),
            models.CheckConstraint(
                name="billing_invoice_kind_sequence",
                condition=Q(kind=InvoiceKind.MAIN, sequence=0)
                | (~Q(kind=InvoiceKind.MAIN) & Q(sequence__gte=1)),
            ),
            models.CheckConstraint(
                name="billing_invoice_amounts",
                condition=Q(
                    billed_kopecks__gte=0,
                    billed_kopecks__lte=F("planned_kopecks"),
                    advance_kopecks__gte=0,
                    carry_in_kopecks__gte=0,
                    offset_kopecks__gte=0,
                    due_kopecks__gte=0,
                    carry_out_kopecks__gte=0,
                    paid_kopecks__gte=0,
                    paid_kopecks__lte=F("due_kopecks"),
                )
                & (
                    Q(
                        kind__in=[InvoiceKind.MAIN, InvoiceKind.SUPPLEMENTARY],
                        billed_kopecks=F("offset_kopecks") + F("due_kopecks"),
                        carry_out_kopecks=F("advance_kopecks")
                        + F("carry_in_kopecks")
                        - F("offset_kopecks"),
                    )
                    # A correction owes nothing: what it takes back is carried out.
                    | Q(
                        kind=InvoiceKind.CORRECTION,
                        advance_kopecks=0,
                        carry_in_kopecks=0,
                        offset_kopecks=0,
                        due_kopecks=0,
                        carry_out_kopecks=F("planned_kopecks") - F("billed_kopecks"),
                    )
                )
                & (~Q(kind=InvoiceKind.SUPPLEMENTARY) | Q(advance_kopecks=0, carry_in_kopecks=0)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.provider}"

    @property
    def title(self) -> str:
        """«Счёт за 12.2026», «Дополнительный счёт № 2 за 12.2026», «Корректировка № 3 …»."""
        if self.kind == InvoiceKind.MAIN:
            return f"Счёт за {self.month:%m.%Y}"
        what = self.get_kind_display().capitalize()
        return f"{what} № {self.sequence} за {self.month:%m.%Y}"

    @property
    def label(self) -> str:
        """«Счёт за декабрь 2026», «Дополнительный счёт № 1 за декабрь 2026», …"""
        if self.kind == InvoiceKind.MAIN:
            return f"Счёт за {month_label(self.month)}"
        what = self.get_kind_display().capitalize()
        return f"{what} № {self.sequence} за {month_label(self.month)}"

    @property
    def accepted_word(self) -> str:
        return "принята" if self.kind == InvoiceKind.CORRECTION else "принят"

    @property
    def is_main(self) -> bool:
        return self.kind == InvoiceKind.MAIN

    @property
    def is_correction(self) -> bool:
        return self.kind == InvoiceKind.CORRECTION

    @property
    def payable_kopecks(self) -> int:
        return self.due_kopecks


class InvoiceLine(models.Model):
    """One contract's month: what the contract says and what is billed under the settings."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    contract = models.ForeignKey("enrolment.Contract", on_delete=models.PROTECT, related_name="+")
    contract_month = models.ForeignKey(
        "enrolment.ContractMonth", on_delete=models.PROTECT, related_name="+"
    )
    reservation_id = models.PositiveBigIntegerField("резерв в учёте")
    active_from = models.DateField("действовал с")
    active_to = models.DateField("действовал по")
    planned_kopecks = models.BigIntegerField("по договору, коп.")
    billed_kopecks = models.BigIntegerField("к оплате, коп.")
    basis_note = models.CharField("расчёт", max_length=200, blank=True)

    objects = LineQuerySet.as_manager()

    class Meta:
        verbose_name = "строка счёта"
        verbose_name_plural = "строки счетов"
        ordering = ["invoice", "contract"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "contract"], name="billing_line_once"),
            models.CheckConstraint(
                name="billing_line_amounts",
                condition=Q(billed_kopecks__gte=0, billed_kopecks__lte=F("planned_kopecks")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice}: договор {self.contract_id}"


class Payment(models.Model):
    """A payment order (платёжное поручение) against one accepted advance request or invoice."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+")
    municipality = models.ForeignKey(
        "territory.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    advance = models.ForeignKey(
        AdvanceRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    order_number = models.CharField("номер платёжного поручения", max_length=40)
    paid_on = models.DateField("дата платежа")
    amount_kopecks = models.BigIntegerField("сумма, коп.")
    transfer_id = models.PositiveBigIntegerField("проводка в учёте", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField("записан", default=clock.now)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = "платёж"
        verbose_name_plural = "платежи"
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="billing_payment_one_document",
                condition=Q(advance__isnull=False, invoice__isnull=True)
                | Q(advance__isnull=True, invoice__isnull=False),
            ),
            models.CheckConstraint(
                condition=Q(amount_kopecks__gt=0), name="billing_payment_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["municipality", "order_number", "paid_on"],
                name="billing_payment_order_once",
                violation_error_message="Платёжное поручение с таким номером и датой уже записано.",
            ),
        ]

    def __str__(self) -> str:
        return f"П/п № {self.order_number} от {self.paid_on:%d.%m.%Y}"

    @property
    def document(self):
        return self.invoice or self.advance


class PeriodClosing(models.Model):
    """The close of a financing period: what lapsed, what continued into the next one."""

    period = models.OneToOneField(
        "financing.FinancingPeriod", on_delete=models.PROTECT, related_name="closing"
    )
    next_period = models.ForeignKey(
        "financing.FinancingPeriod",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField("начато", default=clock.now)
    finished_at = models.DateTimeField("завершено", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lapsed_kopecks = models.BigIntegerField("сгорело, коп.", default=0)
    lapsed_certificates = models.PositiveIntegerField("сертификатов с остатком", default=0)
    continued_contracts = models.PositiveIntegerField("договоров продолжено", default=0)
    ended_contracts = models.PositiveIntegerField("договоров завершено", default=0)

    objects = PeriodClosingQuerySet.as_manager()

    class Meta:
        verbose_name = "закрытие периода"
        verbose_name_plural = "закрытия периодов"

    def __str__(self) -> str:
        return f"Закрытие: {self.period}"
