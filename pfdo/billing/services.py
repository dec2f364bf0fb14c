"""Write use-cases of billing: lessons and attendance, advance requests, invoices, payments,
the month run and the period close. Money moves only through the ledger.

Locks: a document row (select_for_update) before the ledger's accounts; a payment locks
its document, so two payments cannot together exceed what is owed (the CHECK
`paid ≤ payable` is the backstop). Documents are unique per provider and month, and every
ledger transfer has a key derived from its cause, so repeats create nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from pfdo.accounts import services as accounts
from pfdo.audit import services as audit
from pfdo.billing import calculation as calc
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
from pfdo.billing.selectors import (
    active_window,
    carry_candidate,
    is_payer,
    month_slots,
    period_of_month,
    staff_provider_ids,
    window_of,
)
from pfdo.catalog.models import Group
from pfdo.certificates import services as certificate_services
from pfdo.common import clock
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed
from pfdo.common.money import format_kopecks
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.enrolment.selectors import month_label
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.rules import manages_municipality
from pfdo.ledger import services as ledger
from pfdo.ledger.models import Account, Transfer
from pfdo.providers.models import Provider, ProviderStaff

Status = DocumentStatus
LINE_CHUNK = 2000


# ------------------------------------------------------------------------------ access


def _ensure_staff(actor, provider_id: int, what: str) -> None:
    if actor is None or getattr(actor, "is_superuser", False):
        return
    if provider_id not in staff_provider_ids(actor):
        provider = Provider.objects.filter(pk=provider_id).values_list("short_name", flat=True)
        name = provider.first() or "другого поставщика"
        raise AccessDenied(f"{what} может только сотрудник поставщика «{name}».")


def _ensure_payer(actor, municipality) -> None:
    if actor is None or is_payer(actor, municipality):
        return
    raise AccessDenied(
        "Это может сделать только уполномоченная организация (плательщик) муниципалитета."
    )


def _notify_staff(provider_id: int, subject: str, body: str, link: str) -> None:
    for user in (
        ProviderStaff.objects.filter(provider_id=provider_id, is_active=True)
        .select_related("user")
        .order_by("pk")
    ):
        accounts.notify(user=user.user, subject=subject, body=body, link=link)


def _period_for(provider: Provider, month: dt.date) -> FinancingPeriod:
    period = period_of_month(provider.municipality_id, month)
    if period is None:
        raise Conflict(
            f"На {month_label(month)} нет программы персонифицированного финансирования.",
            code="no_period",
        )
    return period


def parse_month(text: str) -> dt.date:
    """'YYYY-MM' → the first day of that month; ValidationFailed otherwise."""
    try:
        return dt.datetime.strptime((text or "").strip(), "%Y-%m").date()
    except ValueError as exc:
        raise ValidationFailed(
            "Месяц указывается как ГГГГ-ММ, например 2026-10.",
            fields={"month": "Месяц в формате ГГГГ-ММ."},
        ) from exc


# ------------------------------------------------------------------ lessons, attendance


def _schedule_rows(group: Group, month: dt.date) -> list[Lesson]:
    """The lessons the group's schedule puts in `month`, inside the group's dates."""
    entries = list(group.schedule.order_by("weekday", "starts_at"))
    first = max(month, group.starts_on or month)
    last = min(calc.month_end(month), group.ends_on or calc.month_end(month))
    rows = []
    for day, index in calc.schedule_dates([(e.weekday, e.parity) for e in entries], first, last):
        e = entries[index]
        rows.append(
            Lesson(
                group=group,
                scheduled_on=day,
                scheduled_at=e.starts_at,
                held_on=day,
                starts_at=e.starts_at,
                ends_at=e.ends_at,
            )
        )
    return rows


def ensure_lessons(*, group: Group, month: dt.date) -> list[Lesson]:
    """The journal of a group for a month: lessons from the schedule, written once."""
    month = calc.month_start(month)
    Lesson.objects.bulk_create(_schedule_rows(group, month), ignore_conflicts=True)
    return list(
        Lesson.objects.filter(
            group=group, held_on__gte=month, held_on__lte=calc.month_end(month)
        ).order_by("held_on", "starts_at")
    )


def _lock_lesson(actor, lesson: Lesson) -> Lesson:
    locked = (
        Lesson.objects.select_for_update(of=("self",))
        .select_related("group__module__program")
        .get(pk=lesson.pk)
    )
    _ensure_staff(actor, locked.group.module.program.provider_id, "Вести журнал")
    return locked


def _ensure_month_open(lesson: Lesson, *days: dt.date) -> None:
    """Once the month's invoice is with the payer, its journal is evidence: no changes."""
    provider_id = lesson.group.module.program.provider_id
    months = {calc.month_start(d) for d in days}
    taken = Invoice.objects.filter(
        provider_id=provider_id,
        month__in=months,
        status__in=[Status.SUBMITTED, Status.ACCEPTED],
    ).first()
    if taken is not None:
        raise Conflict(
            f"Счёт за {month_label(taken.month)} уже подан: журнал этого месяца изменить нельзя.",
            code="month_invoiced",
        )


@transaction.atomic
def cancel_lesson(*, actor, lesson: Lesson, reason: str = "") -> Lesson:
    locked = _lock_lesson(actor, lesson)
    _ensure_month_open(locked, locked.held_on)
    if locked.attendance.filter(present=True).exists():
        raise Conflict(
            "На занятии уже отмечены присутствующие: сначала снимите отметки.",
            code="lesson_attended",
        )
    locked.status = Lesson.Status.CANCELLED
    locked.note = (reason or "").strip()[:300]
    locked.save(update_fields=["status", "note"])
    locked.attendance.all().delete()
    audit.record(actor=actor, action="billing.lesson_cancelled", obj=locked)
    return locked


@transaction.atomic
def restore_lesson(*, actor, lesson: Lesson) -> Lesson:
    locked = _lock_lesson(actor, lesson)
    _ensure_month_open(locked, locked.held_on)
    locked.status = Lesson.Status.PLANNED
    locked.note = ""
    locked.save(update_fields=["status", "note"])
    audit.record(actor=actor, action="billing.lesson_restored", obj=locked)
    return locked


@transaction.atomic
def move_lesson(
    *, actor, lesson: Lesson, held_on: dt.date, starts_at: dt.time, ends_at: dt.time
) -> Lesson:
    locked = _lock_lesson(actor, lesson)
    errors = {}
    if ends_at <= starts_at:
        errors["ends_at"] = "Занятие должно заканчиваться позже, чем начинается."
    group = locked.group
    if (group.starts_on and held_on < group.starts_on) or (
        group.ends_on and held_on > group.ends_on
    ):
        errors["held_on"] = "Дата вне сроков занятий группы."
    if errors:
        raise ValidationFailed(fields=errors)
    _ensure_month_open(locked, locked.held_on, held_on)
    if locked.attendance.exists() and calc.month_start(held_on) != calc.month_start(locked.held_on):
        raise Conflict(
            "По занятию уже отмечена посещаемость: перенести его в другой месяц нельзя.",
            code="lesson_attended",
        )
    old = f"{locked.held_on:%d.%m.%Y} {locked.starts_at:%H:%M}"
    locked.held_on, locked.starts_at, locked.ends_at = held_on, starts_at, ends_at
    locked.save(update_fields=["held_on", "starts_at", "ends_at"])
    audit.record(
        actor=actor,
        action="billing.lesson_moved",
        obj=locked,
        details={"from": old, "to": f"{held_on:%d.%m.%Y} {starts_at:%H:%M}"},
    )
    return locked


@transaction.atomic
def mark_attendance(*, actor, lesson: Lesson, marks: Mapping[int, bool]) -> int:
    """Set present/absent for children (by contract id) of the lesson's group. All or nothing.

    Only children whose contract was in force on the lesson's day; only lessons already held.
    """
    locked = _lock_lesson(actor, lesson)
    if locked.is_cancelled:
        raise Conflict("Занятие отменено: посещаемость не отмечается.", code="lesson_cancelled")
    today = clock.today()
    if locked.held_on > today:
        raise Conflict(
            f"Занятие {locked.held_on:%d.%m.%Y} ещё не прошло: отметить посещаемость нельзя.",
            code="future_lesson",
        )
    _ensure_month_open(locked, locked.held_on)
    if not marks:
        raise ValidationFailed(fields={"marks": "Отметьте хотя бы одного ребёнка."})
    contracts = {
        c.pk: c
        for c in Contract.objects.filter(pk__in=list(marks), group_id=locked.group_id)
        .exclude(status__in=[Contract.Status.OFFERED, Contract.Status.DECLINED])
        .exclude(status=Contract.Status.EXPIRED)
    }
    month = calc.month_start(locked.held_on)
    bad = []
    for contract_id in marks:
        contract = contracts.get(contract_id)
        window = active_window(contract, month) if contract else None
        if window is None or not window[0] <= locked.held_on <= window[1]:
            bad.append(str(contract_id))
    if bad:
        raise ValidationFailed(
            f"Ребёнок не занимается в группе «{locked.group.name}» "
            f"на {locked.held_on:%d.%m.%Y} (договор: {', '.join(bad)}).",
            code="child_not_in_group",
            fields={"marks": f"Договоры не из этой группы на дату занятия: {', '.join(bad)}."},
        )
    now = clock.now()
    existing = {a.contract_id: a for a in locked.attendance.filter(contract_id__in=list(marks))}
    changed = 0
    for contract_id, present in marks.items():
        row = existing.get(contract_id)
        if row is None:
            Attendance.objects.create(
                lesson=locked,
                contract_id=contract_id,
                present=bool(present),
                marked_by=actor,
                marked_at=now,
            )
            changed += 1
        elif row.present != bool(present):
            row.present, row.marked_by, row.marked_at = bool(present), actor, now
            row.save(update_fields=["present", "marked_by", "marked_at"])
            changed += 1
    audit.record(
        actor=actor,
        action="billing.attendance_marked",
        obj=locked,
        details={"marks": len(marks), "changed": changed},
    )
    return changed


# ----------------------------------------------------------------------- month lines


def _open_months(provider_id: int, month: dt.date):
    """Contract months of the provider with a reservation still open (not billed/returned)."""
    resolved = Transfer.objects.filter(pending_id=OuterRef("reservation_id"))
    return (
        ContractMonth.objects.filter(
            month=month,
            contract__provider_id=provider_id,
            contract__funding=Contract.Funding.CERTIFICATE,
            reservation_id__isnull=False,
        )
        .exclude(Exists(resolved))
        .order_by("contract_id")
    )


def _not_yet(message: str, code: str) -> Conflict:
    return Conflict(message, code=code)


# ------------------------------------------------------------------- advance requests


def advance_opens_on(period: FinancingPeriod, month: dt.date) -> dt.date:
    return calc.working_day(month, period.advance_from_working_day)


def _lock_document(model, pk: int):
    return (
        model.objects.select_for_update(of=("self",))
        .select_related("provider", "municipality", "period")
        .get(pk=pk)
    )


def _document_to_build(
    model, provider: Provider, month: dt.date, *, what: str, code: str, **fields
):
    """The provider's document of the month to (re)build: a draft or rejected one, locked and
    emptied of its lines, or a new one. A submitted or decided document is refused (409)."""
    document = model.objects.filter(provider=provider, month=month).first()
    if document is not None:
        document = _lock_document(model, document.pk)
        if document.status not in (Status.DRAFT, Status.REJECTED):
            raise Conflict(f"{what} уже {document.get_status_display()}.", code=code)
        document.lines.all().delete()
        return document
    try:
        with transaction.atomic():
            return model.objects.create(
                provider=provider,
                municipality_id=provider.municipality_id,
                month=month,
                **fields,
            )
    except IntegrityError:
        # The month run and a provider's button at the same moment: one of them builds it.
        raise Conflict(f"{what} уже формируется.", code=code) from None


@transaction.atomic
def build_advance(*, actor, provider: Provider, month: dt.date) -> AdvanceRequest:
    """The advance request for `month`: share × the month's amounts of active contracts.

    A draft or rejected request is rebuilt from today's contracts; a submitted or decided one
    is refused (409).
    """
    month = calc.month_start(month)
    if actor is not None and not is_payer(actor, provider.municipality):
        _ensure_staff(actor, provider.pk, "Сформировать заявку на аванс")
    period = _period_for(provider, month)
    today = clock.today()
    opens = advance_opens_on(period, month)
    if today < opens:
        raise _not_yet(
            f"Заявку на аванс за {month_label(month)} можно сформировать с {opens:%d.%m.%Y}.",
            "advance_too_early",
        )
    if today > calc.month_end(month):
        raise _not_yet(
            f"{month_label(month).capitalize()} закончился: аванс за него не выплачивается, "
            "сформируйте счёт.",
            "month_over",
        )
    if Invoice.objects.filter(provider=provider, month=month).exists():
        raise Conflict(f"Счёт за {month_label(month)} уже сформирован.", code="invoice_exists")
    request = _document_to_build(
        AdvanceRequest,
        provider,
        month,
        what=f"Заявка на аванс за {month_label(month)}",
        code="advance_exists",
        period=period,
        share_percent=period.advance_share_percent,
    )
    lines, base = [], 0
    rows = (
        _open_months(provider.pk, month)
        .filter(contract__status=Contract.Status.ACTIVE)
        .values_list("contract_id", "certificate_kopecks")
    )
    for contract_id, amount in rows:  # one provider's month (see _invoice_lines)
        lines.append(AdvanceLine(request=request, contract_id=contract_id, month_kopecks=amount))
        base += amount
    AdvanceLine.objects.bulk_create(lines, batch_size=LINE_CHUNK)
    request.base_kopecks = base
    request.share_percent = period.advance_share_percent
    request.amount_kopecks = calc.advance_amount(base, period.advance_share_percent)
    request.contracts_count = len(lines)
    request.status = Status.DRAFT
    request.built_at = clock.now()
    request.reject_reason = ""
    request.save()
    audit.record(
        actor=actor,
        action="billing.advance_built",
        obj=request,
        municipality=provider.municipality,
        details={"amount_kopecks": request.amount_kopecks, "contracts": len(lines)},
    )
    return request


def _submit(actor, model, document, what: str, action: str):
    locked = _lock_document(model, document.pk)
    _ensure_staff(actor, locked.provider_id, f"Подать {what}")
    if locked.status != Status.DRAFT:
        raise Conflict(
            f"Подать можно только черновик: документ {locked.get_status_display()}.",
            code="not_draft",
        )
    locked.status = Status.SUBMITTED
    locked.submitted_at = clock.now()
    locked.submitted_by = actor
    locked.save(update_fields=["status", "submitted_at", "submitted_by"])
    audit.record(actor=actor, action=action, obj=locked, municipality=locked.municipality)
    return locked


def _decide(actor, model, document, *, accept: bool, reason: str, action: str):
    locked = _lock_document(model, document.pk)
    _ensure_payer(actor, locked.municipality)
    if locked.status == Status.ACCEPTED:
        raise Conflict(
            f"Документ уже принят {timezone.localtime(locked.decided_at):%d.%m.%Y %H:%M}.",
            code="already_accepted",
        )
    if locked.status != Status.SUBMITTED:
        raise Conflict(
            f"Рассмотреть можно только поданный документ: он {locked.get_status_display()}.",
            code="not_submitted",
        )
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину отклонения."})
    locked.status = Status.ACCEPTED if accept else Status.REJECTED
    locked.decided_at = clock.now()
    locked.decided_by = actor
    locked.reject_reason = "" if accept else reason
    if accept:
        locked.pay_by = calc.add_working_days(
            clock.today(), locked.period.payment_term_working_days
        )
    locked.save(update_fields=["status", "decided_at", "decided_by", "reject_reason", "pay_by"])
    audit.record(
        actor=actor,
        action=action,
        obj=locked,
        municipality=locked.municipality,
        details={"reason": reason} if reason else None,
    )
    return locked


@transaction.atomic
def submit_advance(*, actor, advance: AdvanceRequest) -> AdvanceRequest:
    if Invoice.objects.filter(provider_id=advance.provider_id, month=advance.month).exists():
        raise Conflict("Счёт за этот месяц уже сформирован: аванс не подаётся.", code="month_over")
    if clock.today() > calc.month_end(advance.month):
        raise Conflict(
            f"{month_label(advance.month).capitalize()} закончился: аванс за него не подаётся, "
            "сформируйте счёт.",
            code="month_over",
        )
    return _submit(actor, AdvanceRequest, advance, "заявку на аванс", "billing.advance_submitted")


@transaction.atomic
def accept_advance(*, actor, advance: AdvanceRequest) -> AdvanceRequest:
    locked = _decide(
        actor, AdvanceRequest, advance, accept=True, reason="", action="billing.advance_accepted"
    )
    _notify_staff(
        locked.provider_id,
        f"Заявка на аванс за {month_label(locked.month)} принята",
        f"К перечислению {format_kopecks(locked.amount_kopecks)} до {locked.pay_by:%d.%m.%Y}.",
        f"/cabinet/provider/billing/advances/{locked.pk}/",
    )
    return locked


@transaction.atomic
def reject_advance(*, actor, advance: AdvanceRequest, reason: str) -> AdvanceRequest:
    locked = _decide(
        actor,
        AdvanceRequest,
        advance,
        accept=False,
        reason=reason,
        action="billing.advance_rejected",
    )
    _notify_staff(
        locked.provider_id,
        f"Заявка на аванс за {month_label(locked.month)} отклонена",
        f"Причина: {locked.reject_reason}",
        f"/cabinet/provider/billing/advances/{locked.pk}/",
    )
    return locked


# --------------------------------------------------------------------------- invoices


def _ensure_previous_closed(period: FinancingPeriod) -> None:
    """Invoices of a period wait for the close of the one before: the close is what continues
    contracts into this period, and an invoice built earlier would miss their months."""
    earlier = (
        FinancingPeriod.objects.filter(
            municipality_id=period.municipality_id,
            status=FinancingPeriod.Status.APPROVED,
            ends_on__lt=period.starts_on,
        )
        .order_by("-ends_on")
        .first()
    )
    if earlier is not None:
        raise Conflict(
            f"Сначала оператор должен закрыть период «{earlier.name}»: при закрытии договоры "
            "продолжаются в новом периоде и попадают в счета.",
            code="previous_period_open",
        )


def invoice_opens_on(period: FinancingPeriod, month: dt.date) -> dt.date:
    """From the 1st of the next month; December's within December if the period says so."""
    if month.month == 12 and period.december_invoice_in_december:
        return advance_opens_on(period, month)
    return calc.next_month(month)


def _attended_minutes(provider_id: int, month: dt.date) -> dict[int, int]:
    minutes: dict[int, int] = defaultdict(int)
    rows = Attendance.objects.filter(
        contract__provider_id=provider_id,
        present=True,
        lesson__status=Lesson.Status.PLANNED,
        lesson__held_on__gte=month,
        lesson__held_on__lte=calc.month_end(month),
    ).values_list("contract_id", "lesson__starts_at", "lesson__ends_at")
    for contract_id, starts, ends in rows.iterator(chunk_size=LINE_CHUNK):
        minutes[contract_id] += (ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute)
    return minutes


def _invoice_lines(invoice: Invoice, period: FinancingPeriod) -> tuple[int, int, int]:
    """Write the invoice's lines from the open contract months; (count, planned, billed)."""
    month, provider_id = invoice.month, invoice.provider_id
    basis, rule = period.billing_basis, period.boundary_month_rule
    needs_lessons = basis == calc.BASIS_ATTENDED_HOURS or rule == calc.RULE_PRO_RATA_LESSONS
    attended = _attended_minutes(provider_id, month) if basis == calc.BASIS_ATTENDED_HOURS else {}
    today = clock.today()
    # December billed within December: lessons still ahead count as planned attendance.
    ahead = basis == calc.BASIS_ATTENDED_HOURS and today <= calc.month_end(month)
    slots_of: dict[int, list[calc.Slot]] = {}
    rows = _open_months(provider_id, month).values_list(
        "pk",
        "contract_id",
        "certificate_kopecks",
        "reservation_id",
        "contract__group_id",
        "contract__starts_on",
        "contract__ends_on",
        "contract__status",
        "contract__ended_at",
    )
    count = planned = billed = 0
    batch: list[InvoiceLine] = []
    # Not a server-side cursor: PostgreSQL planned the cursor for a fast start and took
    # 4 s of 11 for one city; a provider's month is a few thousand rows at most.
    for (
        pk,
        contract_id,
        amount,
        reservation_id,
        group_id,
        starts,
        ends,
        status,
        ended,
    ) in rows:
        window = window_of(starts, ends, status, ended, month)
        slots = ()
        if needs_lessons:
            if group_id not in slots_of:
                slots_of[group_id] = month_slots(group_id, month)
            slots = slots_of[group_id]
        minutes = attended.get(contract_id, 0)
        if ahead and window is not None:
            minutes += sum(
                s.minutes
                for s in slots
                if not s.cancelled and s.day > today and window[0] <= s.day <= window[1]
            )
        result = calc.billed_amount(
            amount,
            basis=basis,
            rule=rule,
            month=month,
            window=window,
            lessons=slots,
            attended_minutes=minutes,
        )
        frm, to = window or (month, month)
        batch.append(
            InvoiceLine(
                invoice=invoice,
                contract_id=contract_id,
                contract_month_id=pk,
                reservation_id=reservation_id,
                active_from=frm,
                active_to=to,
                planned_kopecks=amount,
                billed_kopecks=result.amount_kopecks,
                basis_note=result.note,
            )
        )
        count += 1
        planned += amount
        billed += result.amount_kopecks
        if len(batch) >= LINE_CHUNK:
            InvoiceLine.objects.bulk_create(batch)
            batch = []
    InvoiceLine.objects.bulk_create(batch)
    return count, planned, billed


def _apply_settlement(invoice: Invoice) -> None:
    """Advance of the month (accepted) and the oldest unused overpayment, against billed."""
    advance = (
        AdvanceRequest.objects.filter(
            provider_id=invoice.provider_id, month=invoice.month, status=Status.ACCEPTED
        )
        .values_list("amount_kopecks", flat=True)
        .first()
        or 0
    )
    source = carry_candidate(invoice)
    carry = source.carry_out_kopecks if source else 0
    s = calc.settle(
        billed_kopecks=invoice.billed_kopecks, advance_kopecks=advance, carry_in_kopecks=carry
    )
    invoice.advance_kopecks = advance
    invoice.carry_in_kopecks = carry
    invoice.carry_from = source
    invoice.offset_kopecks = s.offset_kopecks
    invoice.due_kopecks = s.due_kopecks
    invoice.carry_out_kopecks = s.carry_out_kopecks


@transaction.atomic
def build_invoice(*, actor, provider: Provider, month: dt.date) -> Invoice:
    """The invoice for `month` from the contracts (or attended hours); lines per contract.

    A draft or rejected invoice is rebuilt; a submitted or accepted one is refused (409).
    An advance request of the month still waiting for the payer blocks the invoice; a draft
    one is withdrawn (the month is now billed in full).
    """
    month = calc.month_start(month)
    if actor is not None and not is_payer(actor, provider.municipality):
        _ensure_staff(actor, provider.pk, "Сформировать счёт")
    period = _period_for(provider, month)
    _ensure_previous_closed(period)
    opens = invoice_opens_on(period, month)
    if clock.today() < opens:
        raise _not_yet(
            f"Счёт за {month_label(month)} можно сформировать с {opens:%d.%m.%Y}: "
            "месяц ещё не закончился.",
            "month_not_ended",
        )
    advance = AdvanceRequest.objects.filter(provider=provider, month=month).first()
    if advance is not None:
        # Locked: the payer may be accepting (and paying) it at this very moment.
        advance = _lock_document(AdvanceRequest, advance.pk)
    if advance is not None and advance.status == Status.SUBMITTED:
        raise Conflict(
            f"Заявка на аванс за {month_label(month)} ждёт решения плательщика: "
            "счёт формируется после него.",
            code="advance_undecided",
        )
    if advance is not None and advance.status in (Status.DRAFT, Status.REJECTED):
        AdvanceRequest.objects.filter(pk=advance.pk).update(status=Status.WITHDRAWN)
    invoice = _document_to_build(
        Invoice,
        provider,
        month,
        what=f"Счёт за {month_label(month)}",
        code="invoice_exists",
        period=period,
        basis=period.billing_basis,
        boundary_rule=period.boundary_month_rule,
    )
    count, planned, billed = _invoice_lines(invoice, period)
    invoice.basis = period.billing_basis
    invoice.boundary_rule = period.boundary_month_rule
    invoice.contracts_count = count
    invoice.planned_kopecks = planned
    invoice.billed_kopecks = billed
    _apply_settlement(invoice)
    invoice.status = Status.DRAFT
    invoice.built_at = clock.now()
    invoice.reject_reason = ""
    invoice.save()
    audit.record(
        actor=actor,
        action="billing.invoice_built",
        obj=invoice,
        municipality=provider.municipality,
        details={"billed_kopecks": billed, "lines": count},
    )
    return invoice


@transaction.atomic
def submit_invoice(*, actor, invoice: Invoice) -> Invoice:
    return _submit(actor, Invoice, invoice, "счёт", "billing.invoice_submitted")


@transaction.atomic
def reject_invoice(*, actor, invoice: Invoice, reason: str) -> Invoice:
    locked = _decide(
        actor, Invoice, invoice, accept=False, reason=reason, action="billing.invoice_rejected"
    )
    _notify_staff(
        locked.provider_id,
        f"Счёт за {month_label(locked.month)} отклонён",
        f"Причина: {locked.reject_reason}. Исправьте данные и сформируйте счёт заново.",
        f"/cabinet/provider/billing/invoices/{locked.pk}/",
    )
    return locked


def _account(kind: str, period: FinancingPeriod, holder_id: int | None = None) -> Account:
    return ledger.get_account(
        kind=kind, municipality=period.municipality, period=period, holder_id=holder_id
    )


@transaction.atomic
def accept_invoice(*, actor, invoice: Invoice) -> Invoice:
    """The payer accepts: each line's reservation is posted for the billed amount (the rest
    returns to the certificate), and the advance and earlier overpayment are offset."""
    current = _lock_document(Invoice, invoice.pk)
    if current.status == Status.SUBMITTED:
        # The settlement is final now: the advance is decided and earlier carries are known.
        _apply_settlement(current)
        try:
            with transaction.atomic():
                current.save(
                    update_fields=[
                        "advance_kopecks",
                        "carry_in_kopecks",
                        "carry_from",
                        "offset_kopecks",
                        "due_kopecks",
                        "carry_out_kopecks",
                    ]
                )
        except IntegrityError:
            # Another invoice of the provider took the same overpayment a moment ago.
            raise Conflict(
                "Переплата прошлого месяца только что зачтена в другом счёте: повторите.",
                code="carry_taken",
            ) from None
    locked = _decide(
        actor, Invoice, current, accept=True, reason="", action="billing.invoice_accepted"
    )
    period = locked.period
    label = month_label(locked.month)
    lines = locked.lines.select_related("contract").order_by("pk")
    touched: set[int] = set()
    batch: list[ledger.Resolution] = []

    def flush() -> None:
        try:
            ledger.post_pending_many(batch, kind=Transfer.Kind.CHARGE)
        except ledger.AlreadyResolved as exc:
            raise Conflict(
                "Резерв по одному из договоров уже списан или возвращён: сформируйте счёт заново.",
                code="reservation_resolved",
            ) from exc
        batch.clear()

    for line in lines.iterator(chunk_size=LINE_CHUNK):
        batch.append(
            ledger.Resolution(
                key=f"bill:{line.reservation_id}",
                pending_id=line.reservation_id,
                amount_kopecks=line.billed_kopecks,
                description=f"Оплата за {label} по договору № {line.contract.number} "
                f"({line.basis_note})",
            )
        )
        touched.add(line.reservation_id)
        if len(batch) >= LINE_CHUNK:
            flush()
    if batch:
        flush()
    payable = _account(Account.Kind.PROVIDER, period, locked.provider_id)
    advance_part = min(locked.offset_kopecks, locked.advance_kopecks)
    carry_part = locked.offset_kopecks - advance_part
    if advance_part:
        ledger.transfer(
            key=f"offset:i{locked.pk}",
            kind=Transfer.Kind.OFFSET,
            debit=payable,
            credit=_account(Account.Kind.ADVANCE, period, locked.provider_id),
            amount_kopecks=advance_part,
            description=f"Зачёт аванса за {label}",
            ref_type="invoice",
            ref_id=locked.pk,
        )
    if carry_part:
        ledger.transfer(
            key=f"offset-carry:i{locked.pk}",
            kind=Transfer.Kind.OFFSET,
            debit=payable,
            credit=_account(Account.Kind.ADVANCE, locked.carry_from.period, locked.provider_id),
            amount_kopecks=carry_part,
            description=f"Зачёт переплаты за {month_label(locked.carry_from.month)}",
            ref_type="invoice",
            ref_id=locked.pk,
        )
    if period.status == FinancingPeriod.Status.CLOSED:
        # What a closed period's reservation returned (billed for less) lapses at once.
        debit_ids = Transfer.objects.filter(pk__in=touched).values_list(
            "debit_account_id", flat=True
        )
        _lapse(period, Account.objects.filter(pk__in=debit_ids), suffix=f":i{locked.pk}")
    _notify_staff(
        locked.provider_id,
        f"Счёт за {label} принят",
        f"К перечислению {format_kopecks(locked.due_kopecks)} до {locked.pay_by:%d.%m.%Y}.",
        f"/cabinet/provider/billing/invoices/{locked.pk}/",
    )
    return locked


# --------------------------------------------------------------------------- payments


@transaction.atomic
def record_payment(
    *,
    actor,
    document: AdvanceRequest | Invoice,
    order_number: str,
    paid_on: dt.date,
    amount_kopecks: int,
) -> Payment:
    """A payment order against an accepted advance request or invoice, up to what is owed."""
    model = type(document)
    locked = _lock_document(model, document.pk)
    _ensure_payer(actor, locked.municipality)
    errors: dict[str, str] = {}
    order_number = (order_number or "").strip()
    if not order_number:
        errors["order_number"] = "Укажите номер платёжного поручения."
    if paid_on is None:
        errors["paid_on"] = "Укажите дату платежа."
    elif paid_on > clock.today():
        errors["paid_on"] = "Дата платежа не может быть в будущем."
    if isinstance(amount_kopecks, bool) or not isinstance(amount_kopecks, int):
        errors["amount_kopecks"] = "Сумма — целое число копеек."
    elif amount_kopecks <= 0:
        errors["amount_kopecks"] = "Сумма платежа должна быть больше нуля."
    if errors:
        raise ValidationFailed(fields=errors)
    if locked.status != Status.ACCEPTED:
        raise Conflict(
            f"Оплатить можно только принятый документ: он {locked.get_status_display()}.",
            code="not_accepted",
        )
    owed = locked.payable_kopecks - locked.paid_kopecks
    if amount_kopecks > owed:
        raise ValidationFailed(
            f"Сумма платежа {format_kopecks(amount_kopecks)} больше задолженности "
            f"{format_kopecks(owed)}.",
            code="overpayment",
            fields={"amount_kopecks": f"Осталось оплатить {format_kopecks(owed)}."},
        )
    is_invoice = model is Invoice
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                provider_id=locked.provider_id,
                municipality_id=locked.municipality_id,
                invoice=locked if is_invoice else None,
                advance=None if is_invoice else locked,
                order_number=order_number,
                paid_on=paid_on,
                amount_kopecks=amount_kopecks,
                recorded_by=actor,
            )
    except IntegrityError:
        raise ValidationFailed(
            fields={"order_number": "Платёжное поручение с таким номером и датой уже записано."},
            code="duplicate_order",
        ) from None
    period = locked.period
    kind = Account.Kind.PROVIDER if is_invoice else Account.Kind.ADVANCE
    what = "счёту" if is_invoice else "заявке на аванс"
    row = ledger.transfer(
        key=f"pay:y{payment.pk}",
        kind=Transfer.Kind.PAY,
        debit=_account(kind, period, locked.provider_id),
        credit=_account(Account.Kind.PAID, period, locked.provider_id),
        amount_kopecks=amount_kopecks,
        description=f"П/п № {order_number} от {paid_on:%d.%m.%Y} по {what} за "
        f"{month_label(locked.month)}",
        ref_type="payment",
        ref_id=payment.pk,
    )
    Payment.objects.filter(pk=payment.pk).update(transfer_id=row.pk)
    payment.transfer_id = row.pk
    # The row is locked; the CHECK paid ≤ payable is the backstop.
    model.objects.filter(pk=locked.pk).update(paid_kopecks=F("paid_kopecks") + amount_kopecks)
    audit.record(
        actor=actor,
        action="billing.payment_recorded",
        obj=locked,
        municipality=locked.municipality,
        details={"order": order_number, "amount_kopecks": amount_kopecks},
    )
    return payment


# -------------------------------------------------------------------------- month run


@dataclass
class RunResult:
    month: dt.date
    providers: int = 0
    advances_built: int = 0
    invoices_built: int = 0
    already_there: int = 0
    lines: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)


def _providers_billed_in(municipality, month: dt.date) -> list[int]:
    return list(
        ContractMonth.objects.filter(
            month=month,
            contract__municipality=municipality,
            contract__funding=Contract.Funding.CERTIFICATE,
            reservation_id__isnull=False,
        )
        .order_by("contract__provider_id")
        .values_list("contract__provider_id", flat=True)
        .distinct()
    )


def bill_month(
    *,
    actor,
    municipality,
    month: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Build every provider's documents for `month`: the invoice once the month has ended
    (December: within December, if so set), else the advance request once it may be filed.

    Each provider's document is one transaction, and an existing document is left as it is,
    so a repeat — or a run after one killed half-way — builds only what is missing.
    """
    if actor is not None:
        _ensure_payer(actor, municipality)
    month = calc.month_start(month)
    period = period_of_month(municipality.pk, month)
    if period is None:
        raise Conflict(
            f"На {month_label(month)} нет программы персонифицированного финансирования.",
            code="no_period",
        )
    today = clock.today()
    invoices = today >= invoice_opens_on(period, month)
    if not invoices and today < advance_opens_on(period, month):
        raise Conflict(
            f"Документы за {month_label(month)} формируются с "
            f"{advance_opens_on(period, month):%d.%m.%Y}.",
            code="advance_too_early",
        )
    result = RunResult(month=month)
    provider_ids = _providers_billed_in(municipality, month)
    model = Invoice if invoices else AdvanceRequest
    done = set(
        model.objects.filter(provider_id__in=provider_ids, month=month).values_list(
            "provider_id", flat=True
        )
    )
    providers = Provider.objects.in_bulk(provider_ids)
    total = len(provider_ids)
    for index, provider_id in enumerate(provider_ids, 1):
        result.providers += 1
        if provider_id in done:
            result.already_there += 1
        else:
            provider = providers[provider_id]
            try:
                if invoices:
                    document = build_invoice(actor=None, provider=provider, month=month)
                    result.invoices_built += 1
                else:
                    document = build_advance(actor=None, provider=provider, month=month)
                    result.advances_built += 1
                result.lines += document.contracts_count
            except Conflict as exc:
                result.refused.append((provider.short_name, exc.message))
        if progress is not None:
            progress(index, total)
    audit.record(
        actor=actor,
        action="billing.month_run",
        obj=period,
        municipality=municipality,
        details={
            "month": f"{month:%Y-%m}",
            "advances": result.advances_built,
            "invoices": result.invoices_built,
            "existing": result.already_there,
        },
    )
    return result


# ------------------------------------------------------------------------ period close


def _lapse(period: FinancingPeriod, accounts_qs, *, suffix: str = "") -> tuple[int, int]:
    """Unreserved money of certificate accounts goes back to the period's budget."""
    budget = _account(Account.Kind.BUDGET, period)
    count = total = 0
    rows = (
        accounts_qs.filter(kind=Account.Kind.CERTIFICATE, period=period)
        .filter(credits_posted_kopecks__gt=F("debits_posted_kopecks") + F("debits_pending_kopecks"))
        .order_by("pk")
        .values_list(
            "pk",
            "holder_id",
            "credits_posted_kopecks",
            "debits_posted_kopecks",
            "debits_pending_kopecks",
        )
    )
    entries = []
    for pk, holder_id, credits, debits, pending in rows.iterator(chunk_size=LINE_CHUNK):
        amount = credits - debits - pending
        entries.append(
            ledger.Entry(
                key=f"lapse:a{pk}{suffix}",
                kind=Transfer.Kind.LAPSE,
                debit_id=pk,
                credit_id=budget.pk,
                amount_kopecks=amount,
                description=f"Неиспользованный остаток периода «{period.name}» сгорел",
                ref_type="certificate",
                ref_id=holder_id,
            )
        )
        count += 1
        total += amount
    for start in range(0, len(entries), LINE_CHUNK):
        ledger.post_many(entries[start : start + LINE_CHUNK])
    return count, total


def next_period_of(period: FinancingPeriod) -> FinancingPeriod | None:
    return (
        FinancingPeriod.objects.filter(
            municipality_id=period.municipality_id,
            status=FinancingPeriod.Status.APPROVED,
            starts_on__gt=period.ends_on,
        )
        .order_by("starts_on")
        .first()
    )


def close_period(*, actor, period: FinancingPeriod) -> PeriodClosing:
    """Close a period after its last day: contracts whose group goes on continue against the
    next period's nominal (their remaining months reserved there), the rest complete, and
    every certificate's unreserved money lapses to the budget. Re-runnable step by step."""
    if actor is not None and not manages_municipality(actor, period.municipality):
        raise AccessDenied("Закрыть период может только оператор муниципалитета.")
    period = FinancingPeriod.objects.select_related("municipality").get(pk=period.pk)
    if period.status == FinancingPeriod.Status.DRAFT:
        raise Conflict("Период не утверждён: закрывать нечего.", code="period_draft")
    today = clock.today()
    if today <= period.ends_on:
        raise Conflict(
            f"Период можно закрыть после его окончания ({period.ends_on:%d.%m.%Y}).",
            code="period_not_ended",
        )
    closing, _ = PeriodClosing.objects.get_or_create(period=period, defaults={"closed_by": actor})
    if closing.finished_at is not None:
        return closing
    following = next_period_of(period)
    closing.next_period = following
    continued = 0
    if following is not None and following.starts_on <= today:
        certificate_services.grant_period_nominals(actor=None, period=following)
        crossing = Contract.objects.filter(
            municipality_id=period.municipality_id,
            status=Contract.Status.ACTIVE,
            ends_on__gte=period.starts_on,
            ends_on__lte=period.ends_on,
            group__ends_on__gt=F("ends_on"),
        ).values_list("pk", flat=True)
        for pk in list(crossing):
            if enrolment.continue_contract(actor=actor, contract_id=pk, period=following):
                continued += 1
    closing.continued_contracts += continued
    closing.save()  # a crash below keeps the count of what was continued
    with transaction.atomic():
        locked = FinancingPeriod.objects.select_for_update().get(pk=period.pk)
        if locked.status == FinancingPeriod.Status.APPROVED:
            locked.close()
            locked.save(update_fields=["status"])
    # Contracts the next period did not take over end with the period.
    closing.ended_contracts += enrolment.run_deadlines(
        municipality_id=period.municipality_id
    ).contracts_completed
    count, total = _lapse(period, Account.objects.all())
    closing.lapsed_certificates += count
    closing.lapsed_kopecks += total
    closing.finished_at = clock.now()
    closing.save()
    audit.record(
        actor=actor,
        action="billing.period_closed",
        obj=period,
        municipality=period.municipality,
        details={
            "lapsed_kopecks": closing.lapsed_kopecks,
            "continued": closing.continued_contracts,
            "ended": closing.ended_contracts,
        },
    )
    return closing
