"""Read use-cases of billing: contract windows, journals, what is owed and paid, the payment
registry, and the month's reconciliation."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils import timezone

from pfdo.billing import calculation as calc
from pfdo.billing import checks as billing_checks
from pfdo.billing.models import (
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
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_end, month_label, month_start
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import selectors as ledger_selectors
from pfdo.ledger.selectors import verify_ledger

Status = DocumentStatus


# ---------------------------------------------------------------------------- periods


def period_of_month(municipality_id: int, month: dt.date) -> FinancingPeriod | None:
    """The (approved or closed) period of the municipality that covers the month's first day."""
    return (
        FinancingPeriod.objects.filter(municipality_id=municipality_id)
        .exclude(status=FinancingPeriod.Status.DRAFT)
        .covering(month_start(month))
        .select_related("municipality")
        .first()
    )


# ----------------------------------------------------------------- contracts, lessons


_NEVER_IN_FORCE = frozenset(
    {Contract.Status.OFFERED, Contract.Status.DECLINED, Contract.Status.EXPIRED}
)


def window_of(
    starts_on: dt.date,
    ends_on: dt.date,
    status: str,
    ended_at: dt.datetime | None,
    month: dt.date,
) -> tuple[dt.date, dt.date] | None:
    """The days of `month` a contract with these fields was in force, or None.

    Plain values, so the month run can work from database rows without building models.
    """
    if status in _NEVER_IN_FORCE:
        return None
    end = ends_on
    if status == Contract.Status.TERMINATED and ended_at is not None:
        end = min(end, timezone.localdate(ended_at))
    start = max(starts_on, month)
    end = min(end, month_end(month))
    return (start, end) if start <= end else None


def active_window(contract: Contract | None, month: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days of `month` the contract was in force, or None."""
    if contract is None:
        return None
    return window_of(
        contract.starts_on, contract.ends_on, contract.status, contract.ended_at, month
    )


def month_slots(group_id: int, month: dt.date) -> list[calc.Slot]:
    """The group's lessons held in `month`: stored ones (moved, cancelled) over the schedule."""
    month = month_start(month)
    last = month_end(month)
    group = Group.objects.filter(pk=group_id).prefetch_related("schedule").first()
    if group is None:
        return []
    stored = list(
        Lesson.objects.filter(group_id=group_id).filter(
            Q(held_on__gte=month, held_on__lte=last)
            | Q(scheduled_on__gte=month, scheduled_on__lte=last)
        )
    )
    known = {(lesson.scheduled_on, lesson.scheduled_at) for lesson in stored}
    slots = [
        calc.Slot(lesson.held_on, lesson.minutes, lesson.is_cancelled, lesson.pk)
        for lesson in stored
        if month <= lesson.held_on <= last
    ]
    entries = sorted(group.schedule.all(), key=lambda e: (e.weekday, e.starts_at))
    first = max(month, group.starts_on or month)
    end = min(last, group.ends_on or last)
    for day, index in calc.schedule_dates([(e.weekday, e.parity) for e in entries], first, end):
        e = entries[index]
        if (day, e.starts_at) in known:
            continue
        minutes = (e.ends_at.hour * 60 + e.ends_at.minute) - (
            e.starts_at.hour * 60 + e.starts_at.minute
        )
        slots.append(calc.Slot(day, minutes))
    return sorted(slots, key=lambda s: s.day)


@dataclass
class JournalRow:
    contract: Contract
    name: str
    marks: dict[int, bool | None]  # lesson id → present / absent / not marked
    in_force: dict[int, bool]  # lesson id → the contract was in force that day


@dataclass
class Journal:
    group: Group
    month: dt.date
    lessons: list[Lesson]
    rows: list[JournalRow]
    locked: bool  # the month's invoice is with the payer


def journal(group: Group, month: dt.date, lessons: list[Lesson]) -> Journal:
    """The attendance sheet: children with a contract in force during the month × lessons."""
    month = month_start(month)
    contracts = [
        c
        for c in Contract.objects.filter(group=group)
        .exclude(status__in=[Contract.Status.OFFERED, Contract.Status.DECLINED])
        .exclude(status=Contract.Status.EXPIRED)
        .select_related("child")
        .order_by("child__last_name", "child__first_name", "pk")
        if active_window(c, month) is not None
    ]
    marks: dict[tuple[int, int], bool] = {
        (a.contract_id, a.lesson_id): a.present
        for a in Attendance.objects.filter(lesson__in=lessons)
    }
    rows = []
    for c in contracts:
        window = active_window(c, month)
        rows.append(
            JournalRow(
                contract=c,
                name=c.child.short_name,
                marks={lesson.pk: marks.get((c.pk, lesson.pk)) for lesson in lessons},
                in_force={
                    lesson.pk: window[0] <= lesson.held_on <= window[1] for lesson in lessons
                },
            )
        )
    locked = journal_locked_by(group.module.program.provider_id, [month]) is not None
    return Journal(group=group, month=month, lessons=lessons, rows=rows, locked=locked)


def journal_locked_by(provider_id: int, months) -> Invoice | None:
    """The document that makes a month's journal evidence (no more changes), or None: an
    invoice with the payer built after the month ended, or a correction with the payer. A
    month billed ahead (December within December) stays open until its correction: the
    correction bills the attendance actually marked."""
    candidates = Invoice.objects.filter(
        provider_id=provider_id,
        month__in=list(months),
        status__in=[Status.SUBMITTED, Status.ACCEPTED],
    ).order_by("month", "sequence")
    for invoice in candidates:
        if invoice.kind == Invoice.Kind.CORRECTION:
            return invoice
        if timezone.localdate(invoice.built_at) > month_end(invoice.month):
            return invoice
    return None


def child_attendance(contract: Contract) -> list[Attendance]:
    """The family's view: every marked lesson of the contract."""
    return list(
        Attendance.objects.filter(contract=contract)
        .select_related("lesson")
        .order_by("lesson__held_on", "lesson__starts_at")
    )


# -------------------------------------------------------------------------- documents


def carry_candidate(invoice: Invoice) -> Invoice | None:
    """The provider's oldest accepted overpayment not yet taken by another invoice: an
    invoice billed below its advance, or a correction's return. Only a month's (main)
    invoice takes one; a supplementary invoice has neither advance nor carry."""
    if invoice.kind != Invoice.Kind.MAIN:
        return None
    return (
        Invoice.objects.filter(
            provider_id=invoice.provider_id,
            status=Status.ACCEPTED,
            carry_out_kopecks__gt=0,
            month__lt=invoice.month,
        )
        .filter(Q(carried_into__isnull=True) | Q(carried_into=invoice))
        .exclude(pk=invoice.pk)
        .select_related("period")
        .order_by("month", "sequence", "pk")
        .first()
    )


@dataclass(frozen=True)
class Owed:
    accepted_kopecks: int
    paid_kopecks: int

    @property
    def outstanding_kopecks(self) -> int:
        return self.accepted_kopecks - self.paid_kopecks


def _owed(qs, amount_field: str) -> Owed:
    row = qs.filter(status=Status.ACCEPTED).aggregate(a=Sum(amount_field), p=Sum("paid_kopecks"))
    return Owed(row["a"] or 0, row["p"] or 0)


@dataclass(frozen=True)
class OwedSummary:
    advances: Owed
    invoices: Owed

    @property
    def outstanding_kopecks(self) -> int:
        return self.advances.outstanding_kopecks + self.invoices.outstanding_kopecks

    @property
    def paid_kopecks(self) -> int:
        return self.advances.paid_kopecks + self.invoices.paid_kopecks


def owed_summary(advances, invoices) -> OwedSummary:
    """What was accepted, paid and is still owed over the given documents."""
    return OwedSummary(_owed(advances, "amount_kopecks"), _owed(invoices, "due_kopecks"))


@dataclass(frozen=True)
class RegistryRow:
    paid_on: dt.date
    order_number: str
    provider: str
    inn: str
    document: str
    month: str
    amount_kopecks: int
    account: str = ""  # the payee's account and БИК as the document was issued with
    bik: str = ""


def payment_registry(payments) -> Iterator[RegistryRow]:
    """Rows of the payment registry for the accountants, in chunks (no whole-table load).
    The payee's account is the document's own, never the provider's current one."""
    rows = payments.select_related("provider", "advance", "invoice").order_by("paid_on", "pk")
    for p in rows.iterator(chunk_size=2000):
        doc = p.invoice or p.advance
        yield RegistryRow(
            paid_on=p.paid_on,
            order_number=p.order_number,
            provider=p.provider.short_name,
            inn=p.provider.inn,
            document=(
                f"{doc.get_kind_display().capitalize()} № {doc.pk}"
                if p.invoice_id
                else f"Заявка на аванс № {doc.pk}"
            ),
            month=month_label(doc.month),
            amount_kopecks=p.amount_kopecks,
            account=doc.payee_settlement_account,
            bik=doc.payee_bik,
        )


# ---------------------------------------------------------------------- reconciliation


@dataclass
class Check:
    label: str
    left_kopecks: int
    right_kopecks: int

    @property
    def ok(self) -> bool:
        return self.left_kopecks == self.right_kopecks


@dataclass
class ProviderReconciliation:
    provider_id: int
    provider: str
    planned_kopecks: int = 0
    lines_kopecks: int = 0
    advance_kopecks: int = 0
    advance_paid_kopecks: int = 0
    due_kopecks: int = 0
    invoice_paid_kopecks: int = 0
    carry_in_kopecks: int = 0
    carry_out_kopecks: int = 0
    invoice_status: str = ""

    @property
    def paid_kopecks(self) -> int:
        return self.advance_paid_kopecks + self.invoice_paid_kopecks

    @property
    def outstanding_kopecks(self) -> int:
        return (self.advance_kopecks - self.advance_paid_kopecks) + (
            self.due_kopecks - self.invoice_paid_kopecks
        )

    @property
    def balanced(self) -> bool:
        return (
            self.lines_kopecks
            == self.paid_kopecks
            + self.outstanding_kopecks
            + self.carry_in_kopecks
            - self.carry_out_kopecks
        )


@dataclass
class Reconciliation:
    month: dt.date
    providers: list[ProviderReconciliation]
    checks: list[Check]
    unbilled_months: int
    ledger_problems: list[str] = field(default_factory=list)
    # The domain checks (billing.checks): stuck reservations, charges out of term, quota.
    domain_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            all(c.ok for c in self.checks)
            and all(p.balanced for p in self.providers)
            and not self.ledger_problems
            and not self.domain_problems
        )

    def total(self, name: str) -> int:
        return sum(getattr(p, name) for p in self.providers)


def reconciliation(municipality, month: dt.date, *, with_ledger: bool = True) -> Reconciliation:
    """Proof for one municipality and month, over accepted invoices and their advances:

    Σ contract amounts billed (the ledger's charges of the lines' reservations)
      = Σ invoice lines
      = Σ payments + outstanding + overpayment taken in − overpayment carried out.

    Each side is read from its own record — payments from the payment orders, the advance
    from the accepted advance request, the overpayment taken in from the invoice it came
    from — so a document that copied a wrong figure shows up as a mismatch. Also: payments
    recorded = the ledger's payment transfers = what the documents say is paid, offsets in the
    ledger = offsets on the invoices, and `verify_ledger` clean.
    """
    month = month_start(month)
    accepted = list(
        Invoice.objects.filter(
            municipality=municipality, month=month, status=Status.ACCEPTED
        ).select_related("provider", "carry_from")
    )
    # The month's invoice and its supplementary ones bill; corrections return (checked apart).
    invoices = [inv for inv in accepted if inv.kind != Invoice.Kind.CORRECTION]
    fixes = [inv for inv in accepted if inv.kind == Invoice.Kind.CORRECTION]
    advances = {
        a.provider_id: a
        for a in AdvanceRequest.objects.filter(
            municipality=municipality, month=month, status=Status.ACCEPTED
        )
    }
    invoice_ids = [inv.pk for inv in invoices]
    advance_ids = [a.pk for a in advances.values()]
    payments = Payment.objects.filter(Q(invoice_id__in=invoice_ids) | Q(advance_id__in=advance_ids))
    paid_invoice: dict[int, int] = defaultdict(int)
    paid_advance: dict[int, int] = defaultdict(int)
    for invoice_id, advance_id, amount in payments.values_list(
        "invoice_id", "advance_id", "amount_kopecks"
    ):
        if invoice_id:
            paid_invoice[invoice_id] += amount
        else:
            paid_advance[advance_id] += amount
    rows: dict[int, ProviderReconciliation] = {}
    for inv in sorted(invoices, key=lambda i: i.sequence):
        row = rows.get(inv.provider_id)
        if row is None:
            adv = advances.get(inv.provider_id)
            row = rows[inv.provider_id] = ProviderReconciliation(
                provider_id=inv.provider_id,
                provider=inv.provider.short_name,
                advance_kopecks=adv.amount_kopecks if adv else 0,
                advance_paid_kopecks=paid_advance.get(adv.pk, 0) if adv else 0,
                invoice_status=inv.get_status_display(),
            )
        row.planned_kopecks += inv.planned_kopecks
        row.lines_kopecks += inv.billed_kopecks
        row.due_kopecks += inv.due_kopecks
        row.invoice_paid_kopecks += paid_invoice.get(inv.pk, 0)
        row.carry_in_kopecks += inv.carry_from.carry_out_kopecks if inv.carry_from else 0
        row.carry_out_kopecks += inv.carry_out_kopecks
    lines = InvoiceLine.objects.filter(invoice_id__in=invoice_ids)
    line_sum = lines.aggregate(s=Sum("billed_kopecks"))["s"] or 0
    charged = ledger_selectors.charged_for_reservations(lines.values("reservation_id"))
    recorded = sum(paid_invoice.values()) + sum(paid_advance.values())
    documents_paid = sum(inv.paid_kopecks for inv in invoices) + sum(
        a.paid_kopecks for a in advances.values()
    )
    in_ledger = ledger_selectors.transfers_total(
        ref_type="payment", ref_ids=payments.values("pk"), kind=ledger_selectors.TransferKind.PAY
    )
    offsets = ledger_selectors.transfers_total(
        ref_type="invoice", ref_ids=invoice_ids, kind=ledger_selectors.TransferKind.OFFSET
    )
    # Advances of providers without an accepted invoice yet are paid but not settled: they
    # are outside the identity of the month's lines until the invoice comes.
    settled = sum(
        r.paid_kopecks + r.outstanding_kopecks + r.carry_in_kopecks - r.carry_out_kopecks
        for r in rows.values()
    )
    checks = [
        Check("Начислено по договорам (списано с сертификатов) = строки счетов", charged, line_sum),
        Check(
            "Строки счетов = оплачено + к оплате + зачтённая переплата − перенос", line_sum, settled
        ),
        Check("Записанные платежи = платежи в учёте", recorded, in_ledger),
        Check("Оплачено по документам = записанные платежи", documents_paid, recorded),
        Check(
            "Зачёт авансов в счетах = зачёт в учёте",
            sum(inv.offset_kopecks for inv in invoices),
            offsets,
        ),
        Check(
            "Возвращено корректировками = возвраты в учёте",
            sum(fix.carry_out_kopecks for fix in fixes),
            ledger_selectors.transfers_total(
                ref_type="invoice",
                ref_ids=[fix.pk for fix in fixes],
                kind=ledger_selectors.TransferKind.ADJUST,
            ),
        ),
    ]
    resolved = ledger_selectors.resolved_reservation_ids()
    unbilled = (
        ContractMonth.objects.filter(
            month=month,
            contract__municipality=municipality,
            contract__funding=Contract.Funding.CERTIFICATE,
            reservation_id__isnull=False,
        )
        .exclude(reservation_id__in=resolved)
        .aggregate(n=Count("pk"))["n"]
    )
    return Reconciliation(
        month=month,
        providers=sorted(rows.values(), key=lambda r: r.provider),
        checks=checks,
        unbilled_months=unbilled,
        ledger_problems=verify_ledger() if with_ledger else [],
        domain_problems=billing_checks.domain_problems(municipality_id=municipality.pk),
    )


# ----------------------------------------------------------------- the family's charges


@dataclass(frozen=True)
class Charge:
    month: dt.date
    label: str
    planned_kopecks: int
    billed_kopecks: int
    note: str


def contract_charges(contract: Contract) -> list[Charge]:
    """The family's view: each month of the contract billed in an accepted invoice (or a
    supplementary one), as corrected by an accepted correction of that month.

    The caller has already scoped the contract (a parent: their own child's)."""
    lines = list(
        InvoiceLine.objects.filter(contract=contract, invoice__status=Status.ACCEPTED)
        .select_related("invoice")
        .order_by("invoice__month", "invoice__sequence", "pk")
    )
    corrected = {
        line.reservation_id: line for line in lines if line.invoice.kind == Invoice.Kind.CORRECTION
    }
    charges = []
    for line in lines:
        if line.invoice.kind == Invoice.Kind.CORRECTION:
            continue
        billed, note = line.billed_kopecks, line.basis_note
        fix = corrected.get(line.reservation_id)
        if fix is not None:
            billed = fix.billed_kopecks
            note = (
                f"{note}; {fix.basis_note}, возвращено на сертификат "
                f"{format_kopecks(fix.planned_kopecks - fix.billed_kopecks)}"
            )
        charges.append(
            Charge(
                month=line.invoice.month,
                label=month_label(line.invoice.month),
                planned_kopecks=line.planned_kopecks,
                billed_kopecks=billed,
                note=note,
            )
        )
    return charges


def finished_closing(period: FinancingPeriod) -> PeriodClosing | None:
    """The period's close, if it has finished (a repeat of it answers with this)."""
    return (
        PeriodClosing.objects.filter(period=period, finished_at__isnull=False)
        .select_related("next_period")
        .first()
    )
