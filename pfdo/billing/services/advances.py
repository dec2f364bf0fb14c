"""Advance requests: when one may be built, building (share × the month's contract amounts),
submitting to the payer, and the payer's decision."""

from __future__ import annotations

import datetime as dt

from pfdo.audit import services as audit
from pfdo.billing import calculation as calc
from pfdo.billing.models import AdvanceLine, AdvanceRequest, Invoice
from pfdo.billing.selectors import period_of_month
from pfdo.billing.services._common import (
    LINE_CHUNK,
    _decide,
    _document_to_build,
    _notify_staff,
    _open_months,
    _period_for,
    _staff_only,
    _submit,
    advance_opens_on,
    no_period,
)
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_end, month_label, month_start
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import Contract
from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import Provider

__all__ = [
    "accept_advance",
    "advance_refusal",
    "build_advance",
    "reject_advance",
    "submit_advance",
]

DETAIL_URL = "billing:provider_advance"


def _month_over(month: dt.date) -> Conflict:
    return Conflict(
        f"{month_label(month).capitalize()} закончился: аванс за него не выплачивается, "
        "сформируйте счёт.",
        code="month_over",
    )


def _refusal(provider: Provider, period: FinancingPeriod, month: dt.date, today: dt.date):
    opens = advance_opens_on(period, month)
    if today < opens:
        return Conflict(
            f"Заявку на аванс за {month_label(month)} можно сформировать с {opens:%d.%m.%Y}.",
            code="advance_too_early",
        )
    if today > month_end(month):
        return _month_over(month)
    if Invoice.objects.filter(provider=provider, month=month).exists():
        return Conflict(f"Счёт за {month_label(month)} уже сформирован.", code="invoice_exists")
    return None


def advance_refusal(
    *, provider: Provider, month: dt.date, today: dt.date | None = None
) -> Conflict | None:
    """Why the provider's advance request for `month` cannot be built `today`, or None.

    The same refusal `build_advance` raises, so a page can say it without trying."""
    month = month_start(month)
    period = period_of_month(provider.municipality_id, month)
    if period is None:
        return no_period(month)
    return _refusal(provider, period, month, today or clock.today())


@atomic_retry
def build_advance(*, actor, provider: Provider, month: dt.date) -> AdvanceRequest:
    """The advance request for `month`: share × the month's amounts of active contracts.

    A draft or rejected request is rebuilt from today's contracts; a submitted or decided one
    is refused (409).
    """
    month = month_start(month)
    _staff_only(
        actor, "billing.build_document", provider, provider.pk, "Сформировать заявку на аванс"
    )
    period = _period_for(provider, month)
    refusal = _refusal(provider, period, month, clock.today())
    if refusal is not None:
        raise refusal
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
    for contract_id, amount in rows:  # one provider's month (see invoices._invoice_lines)
        lines.append(AdvanceLine(request=request, contract_id=contract_id, month_kopecks=amount))
        base += amount
    AdvanceLine.objects.bulk_create(lines, batch_size=LINE_CHUNK)
    request.base_kopecks = base
    request.share_percent = period.advance_share_percent
    request.amount_kopecks = calc.advance_amount(base, period.advance_share_percent)
    request.contracts_count = len(lines)
    request.redraft()
    request.save()
    audit.record(
        actor=actor,
        action="billing.advance_built",
        obj=request,
        municipality=provider.municipality,
        details={"amount_kopecks": request.amount_kopecks, "contracts": len(lines)},
    )
    return request


@atomic_retry
def submit_advance(*, actor, advance: AdvanceRequest) -> AdvanceRequest:
    if Invoice.objects.filter(provider_id=advance.provider_id, month=advance.month).exists():
        raise Conflict("Счёт за этот месяц уже сформирован: аванс не подаётся.", code="month_over")
    if clock.today() > month_end(advance.month):
        raise Conflict(
            f"{month_label(advance.month).capitalize()} закончился: аванс за него не подаётся, "
            "сформируйте счёт.",
            code="month_over",
        )
    return _submit(actor, AdvanceRequest, advance, "заявку на аванс", "billing.advance_submitted")


@atomic_retry
def accept_advance(*, actor, advance: AdvanceRequest) -> AdvanceRequest:
    locked = _decide(
        actor, AdvanceRequest, advance, accept=True, reason="", action="billing.advance_accepted"
    )
    _notify_staff(
        locked.provider_id,
        f"Заявка на аванс за {month_label(locked.month)} принята",
        f"К перечислению {format_kopecks(locked.amount_kopecks)} до {locked.pay_by:%d.%m.%Y}.",
        DETAIL_URL,
        locked.pk,
    )
    return locked


@atomic_retry
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
        DETAIL_URL,
        locked.pk,
    )
    return locked
