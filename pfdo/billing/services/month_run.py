"""The month run: every provider's advance request or invoice of a municipality's month,
each in its own transaction, so a repeat or a run killed half-way builds only what is
missing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from pfdo.audit import services as audit
from pfdo.billing.models import OPEN_STATUSES, AdvanceRequest, DocumentStatus, Invoice
from pfdo.billing.selectors import period_of_month
from pfdo.billing.services import advances, corrections, invoices
from pfdo.billing.services._common import _payer_only, advance_opens_on, invoice_opens_on, no_period
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.common.months import month_end, month_label, month_start
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.financing import selectors as financing_selectors
from pfdo.providers.models import Provider

__all__ = ["RunResult", "bill_month", "check_month_run"]


@dataclass
class RunResult:
    month: dt.date
    providers: int = 0
    advances_built: int = 0
    invoices_built: int = 0
    already_there: int = 0
    supplementary_built: int = 0
    corrections_built: int = 0
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


def _follow_up(provider: Provider, month: dt.date, today: dt.date, result: RunResult) -> None:
    """After the month's invoice is accepted: a supplementary invoice for contract months
    that joined later, and once the month is over a correction of what was billed ahead.
    An open one of either is left as it is (the provider or the payer has it in hand)."""
    if not _has_open(provider.pk, month, Invoice.Kind.SUPPLEMENTARY) and (
        invoices.supplementary_refusal(provider=provider, month=month) is None
    ):
        try:
            document = invoices.build_invoice(actor=None, provider=provider, month=month)
        except Conflict as exc:
            result.refused.append((provider.short_name, exc.message))
        else:
            result.supplementary_built += 1
            result.lines += document.contracts_count
    if today <= month_end(month) or _has_open(provider.pk, month, Invoice.Kind.CORRECTION):
        return
    if corrections.correction_refusal(provider=provider, month=month, today=today) is not None:
        return
    try:
        document = corrections.build_correction(actor=None, provider=provider, month=month)
    except Conflict as exc:
        if exc.code != "nothing_to_correct":
            result.refused.append((provider.short_name, exc.message))
    else:
        result.corrections_built += 1
        result.lines += document.contracts_count


def _has_open(provider_id: int, month: dt.date, kind: str) -> bool:
    return Invoice.objects.filter(
        provider_id=provider_id, month=month, kind=kind, status__in=OPEN_STATUSES
    ).exists()


def check_month_run(*, actor, municipality, month: dt.date):
    """The month's period if `actor` may run `month` now; else the refusal (AccessDenied,
    Conflict `no_period` or `advance_too_early`). Asked by the run itself and before a run
    is started as a job, so a refusal is immediate rather than a failed job."""
    _payer_only(actor, municipality)
    month = month_start(month)
    period = period_of_month(municipality.pk, month)
    if period is None:
        raise no_period(month)
    today = clock.today()
    if today < invoice_opens_on(period, month) and today < advance_opens_on(period, month):
        raise Conflict(
            f"Документы за {month_label(month)} формируются с "
            f"{advance_opens_on(period, month):%d.%m.%Y}.",
            code="advance_too_early",
        )
    return period


@financing_selectors.calendar_scope()  # the region's production calendar read once per run
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
    so a repeat — or a run after one killed half-way — builds only what is missing. Where
    the month's invoice is accepted, contract months that joined later go onto a
    supplementary invoice, and a month billed ahead (December within December) gets its
    correction once it is over.
    """
    month = month_start(month)
    period = check_month_run(actor=actor, municipality=municipality, month=month)
    today = clock.today()
    with_invoices = today >= invoice_opens_on(period, month)
    result = RunResult(month=month)
    provider_ids = _providers_billed_in(municipality, month)
    if with_invoices:
        mains = dict(
            Invoice.objects.filter(
                provider_id__in=provider_ids, month=month, kind=Invoice.Kind.MAIN
            ).values_list("provider_id", "status")
        )
        done = set(mains)
    else:
        mains = {}
        done = set(
            AdvanceRequest.objects.filter(provider_id__in=provider_ids, month=month).values_list(
                "provider_id", flat=True
            )
        )
    providers = Provider.objects.in_bulk(provider_ids)
    total = len(provider_ids)
    for index, provider_id in enumerate(provider_ids, 1):
        result.providers += 1
        if provider_id in done:
            result.already_there += 1
            if mains.get(provider_id) == DocumentStatus.ACCEPTED:
                _follow_up(providers[provider_id], month, today, result)
        else:
            provider = providers[provider_id]
            try:
                # Looked up on the modules at call time, so a test can stand in for one.
                if with_invoices:
                    document = invoices.build_invoice(actor=None, provider=provider, month=month)
                    result.invoices_built += 1
                else:
                    document = advances.build_advance(actor=None, provider=provider, month=month)
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
            "supplementary": result.supplementary_built,
            "corrections": result.corrections_built,
        },
    )
    return result
