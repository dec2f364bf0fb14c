"""The month run: every provider's advance request or invoice of a municipality's month,
each in its own transaction, so a repeat or a run killed half-way builds only what is
missing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from pfdo.audit import services as audit
from pfdo.billing.models import AdvanceRequest, Invoice
from pfdo.billing.selectors import period_of_month
from pfdo.billing.services import advances, invoices
from pfdo.billing.services._common import _payer_only, advance_opens_on, invoice_opens_on, no_period
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.common.months import month_label, month_start
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.financing import selectors as financing_selectors
from pfdo.providers.models import Provider

__all__ = ["RunResult", "bill_month"]


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
    so a repeat — or a run after one killed half-way — builds only what is missing.
    """
    _payer_only(actor, municipality)
    month = month_start(month)
    period = period_of_month(municipality.pk, month)
    if period is None:
        raise no_period(month)
    today = clock.today()
    with_invoices = today >= invoice_opens_on(period, month)
    if not with_invoices and today < advance_opens_on(period, month):
        raise Conflict(
            f"Документы за {month_label(month)} формируются с "
            f"{advance_opens_on(period, month):%d.%m.%Y}.",
            code="advance_too_early",
        )
    result = RunResult(month=month)
    provider_ids = _providers_billed_in(municipality, month)
    model = Invoice if with_invoices else AdvanceRequest
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
        },
    )
    return result
