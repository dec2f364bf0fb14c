"""What the billing use cases share: locks and rebuilds of documents, the ledger accounts of
a period, the provider's open contract months, notifications to staff, lapses, and the steps
(submit, decide) common to advance requests and invoices."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from pfdo.accounts import services as accounts
from pfdo.audit import services as audit
from pfdo.billing.models import OPEN_STATUSES, PAYEE_FIELDS, DocumentStatus, Invoice
from pfdo.billing.selectors import period_of_month
from pfdo.common import clock
from pfdo.common.authz import authorize, can
from pfdo.common.calendar import WorkCalendar
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.months import month_label, next_month
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.financing import selectors as financing_selectors
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import selectors as ledger_selectors
from pfdo.ledger import services as ledger
from pfdo.providers.models import Provider, ProviderStaff

Status = DocumentStatus
AccountKind = ledger_selectors.AccountKind
TransferKind = ledger_selectors.TransferKind
LINE_CHUNK = 2000
# What `_document_to_build` may empty and build again; anything else is with the payer.
REBUILDABLE = (Status.DRAFT, Status.REJECTED)
PAYER_ONLY = "Это может сделать только уполномоченная организация (плательщик) муниципалитета."


# ------------------------------------------------------------------------------ access


def _staff_only(actor, permission: str, obj, provider_id: int, what: str) -> None:
    """`authorize` with the message naming the provider whose staff may do `what`."""
    if actor is None or can(actor, permission, obj):  # None: the system (month run, commands)
        return
    name = Provider.objects.filter(pk=provider_id).values_list("short_name", flat=True).first()
    message = f"{what} может только сотрудник поставщика «{name or 'другого поставщика'}»."
    authorize(actor, permission, obj, message=message)


def _payer_only(actor, obj) -> None:
    if actor is not None:
        authorize(actor, "billing.decide", obj, message=PAYER_ONLY)


# ----------------------------------------------------------------------- notifications


def _notify_staff(provider_id: int, subject: str, body: str, url_name: str, pk: int) -> None:
    link = reverse(url_name, args=[pk])
    for user in (
        ProviderStaff.objects.filter(provider_id=provider_id, is_active=True)
        .select_related("user")
        .order_by("pk")
    ):
        accounts.notify(user=user.user, subject=subject, body=body, link=link)


# ---------------------------------------------------------------------------- periods


def no_period(month: dt.date) -> Conflict:
    return Conflict(
        f"На {month_label(month)} нет программы персонифицированного финансирования.",
        code="no_period",
    )


def _period_for(provider: Provider, month: dt.date) -> FinancingPeriod:
    period = period_of_month(provider.municipality_id, month)
    if period is None:
        raise no_period(month)
    return period


def calendar_of(period: FinancingPeriod) -> WorkCalendar:
    """The production calendar of the period's region (with its overrides; one query)."""
    return financing_selectors.calendar_of_municipality(period.municipality_id)


def advance_opens_on(
    period: FinancingPeriod, month: dt.date, calendar: WorkCalendar | None = None
) -> dt.date:
    """The period's n-th working day of `month` by the production calendar."""
    calendar = calendar or calendar_of(period)
    return calendar.working_day(month, period.advance_from_working_day)


def invoice_opens_on(
    period: FinancingPeriod, month: dt.date, calendar: WorkCalendar | None = None
) -> dt.date:
    """From the 1st of the next month; December's within December if the period says so."""
    if month.month == 12 and period.december_invoice_in_december:
        return advance_opens_on(period, month, calendar)
    return next_month(month)


def _account(kind: str, period: FinancingPeriod, holder_id: int | None = None):
    return ledger.get_account(
        kind=kind, municipality=period.municipality, period=period, holder_id=holder_id
    )


# ----------------------------------------------------------------------- month lines


def _open_months(provider_id: int, month: dt.date):
    """Contract months of the provider with a reservation still open (not billed/returned)."""
    return (
        ContractMonth.objects.filter(
            month=month,
            contract__provider_id=provider_id,
            contract__funding=Contract.Funding.CERTIFICATE,
            reservation_id__isnull=False,
        )
        .exclude(ledger_selectors.reservation_resolved("reservation_id"))
        .order_by("contract_id")
    )


# --------------------------------------------------------------------------- documents


def _lock_document(model, pk: int):
    return (
        model.objects.select_for_update(of=("self",))
        .select_related("provider", "municipality", "period")
        .get(pk=pk)
    )


def rebuild_refusal(document, what: str = "Документ", code: str = "") -> Conflict | None:
    """Why the document cannot be built again (it is with the payer or decided), or None."""
    if document.status in REBUILDABLE:
        return None
    return Conflict(f"{what} уже {document.get_status_display()}.", code=code or "not_rebuildable")


def submit_refusal(document) -> Conflict | None:
    """Why the provider cannot submit the document, or None."""
    if document.status == Status.DRAFT:
        return None
    return Conflict(
        f"Подать можно только черновик: документ {document.get_status_display()}.",
        code="not_draft",
    )


def decide_refusal(document) -> Conflict | None:
    """Why the payer cannot accept or reject the document, or None."""
    if document.status == Status.ACCEPTED:
        return Conflict(
            f"Документ уже принят {timezone.localtime(document.decided_at):%d.%m.%Y %H:%M}.",
            code="already_accepted",
        )
    if document.status != Status.SUBMITTED:
        return Conflict(
            f"Рассмотреть можно только поданный документ: он {document.get_status_display()}.",
            code="not_submitted",
        )
    return None


def _document_to_build(
    model, provider: Provider, month: dt.date, *, what: str, code: str, lookup=None, **fields
):
    """The provider's document of the month to (re)build: a draft or rejected one, locked and
    emptied of its lines, or a new one. A submitted or decided document is refused (409).
    `lookup` narrows which document of the month it is (an invoice's kind)."""
    document = model.objects.filter(provider=provider, month=month, **(lookup or {})).first()
    if document is not None:
        document = _lock_document(model, document.pk)
        refusal = rebuild_refusal(document, what, code)
        if refusal is not None:
            raise refusal
        document.lines.all().delete()
        return document
    try:
        with transaction.atomic():
            return model.objects.create(
                provider=provider,
                municipality_id=provider.municipality_id,
                month=month,
                **(lookup or {}),
                **fields,
            )
    except IntegrityError:
        # The month run and a provider's button at the same moment: one of them builds it.
        raise Conflict(f"{what} уже формируется.", code=code) from None


def next_sequence(provider_id: int, month: dt.date) -> int:
    last = Invoice.objects.filter(provider_id=provider_id, month=month).aggregate(
        m=Max("sequence")
    )["m"]
    return (last or 0) + 1


def extra_invoice(kind: str, provider: Provider, period, month: dt.date, *, busy: Conflict):
    """The month's open supplementary invoice or correction (draft, submitted, rejected),
    locked and emptied of its lines to be filled again; or a new one with the next sequence.
    `busy` is raised when another request creates it at the same moment."""
    found = (
        Invoice.objects.filter(
            provider_id=provider.pk, month=month, kind=kind, status__in=OPEN_STATUSES
        )
        .values_list("pk", flat=True)
        .first()
    )
    if found:
        invoice = _lock_document(Invoice, found)
        invoice.lines.all().delete()
        return invoice
    try:
        with transaction.atomic():
            return Invoice.objects.create(
                provider=provider,
                municipality_id=provider.municipality_id,
                period=period,
                month=month,
                kind=kind,
                sequence=next_sequence(provider.pk, month),
                basis=period.billing_basis,
                boundary_rule=period.boundary_month_rule,
            )
    except IntegrityError:
        raise busy from None


def _submit(actor, model, document, what: str, action: str):
    locked = _lock_document(model, document.pk)
    _staff_only(actor, "billing.submit_document", locked, locked.provider_id, f"Подать {what}")
    refusal = submit_refusal(locked)
    if refusal is not None:
        raise refusal
    locked.submit(by=actor)
    locked.save(update_fields=["status", "submitted_at", "submitted_by", *PAYEE_FIELDS])
    audit.record(actor=actor, action=action, obj=locked, municipality=locked.municipality)
    return locked


def _decide(actor, model, document, *, accept: bool, reason: str, action: str):
    locked = _lock_document(model, document.pk)
    _payer_only(actor, locked)
    refusal = decide_refusal(locked)
    if refusal is not None:
        raise refusal
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину отклонения."})
    if accept:
        pay_by = calendar_of(locked.period).add_working_days(
            clock.today(), locked.period.payment_term_working_days
        )
        locked.accept(by=actor, pay_by=pay_by)
    else:
        locked.reject(by=actor, reason=reason)
    locked.save(update_fields=["status", "decided_at", "decided_by", "reject_reason", "pay_by"])
    audit.record(
        actor=actor,
        action=action,
        obj=locked,
        municipality=locked.municipality,
        details={"reason": reason} if reason else None,
    )
    return locked


# ----------------------------------------------------------------------------- lapses


def _lapse(
    period: FinancingPeriod, *, account_ids=None, suffix: str = "", description: str = ""
) -> tuple[int, int]:
    """Unreserved money of certificate accounts goes back to the period's budget."""
    budget = _account(AccountKind.BUDGET, period)
    count = total = 0
    entries = []
    for pk, holder_id, amount in ledger_selectors.unreserved_certificate_money(
        period, account_ids=account_ids, chunk_size=LINE_CHUNK
    ):
        entries.append(
            ledger.Entry(
                key=f"lapse:a{pk}{suffix}",
                kind=TransferKind.LAPSE,
                debit_id=pk,
                credit_id=budget.pk,
                amount_kopecks=amount,
                description=description
                or f"Неиспользованный остаток периода «{period.name}» сгорел",
                ref_type="certificate",
                ref_id=holder_id,
            )
        )
        count += 1
        total += amount
    for start in range(0, len(entries), LINE_CHUNK):
        ledger.post_many(entries[start : start + LINE_CHUNK])
    return count, total
