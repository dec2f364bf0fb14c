"""Domain checks over money that the ledger's own check cannot see (it knows no contracts,
invoices or certificates): run by `verify_ledger` through the ledger's registry and by the
month's reconciliation. Each returns problems as Russian sentences; empty when the rule holds.
"""

from __future__ import annotations

from django.db.models import DateField, Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate, TruncMonth

from pfdo.billing.models import OPEN_STATUSES, DocumentStatus, Invoice, InvoiceKind, InvoiceLine
from pfdo.certificates.models import Certificate
from pfdo.common.months import month_label
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import selectors as ledger_selectors

__all__ = ["ALL", "charges_out_of_term", "quota_exceeded", "stuck_reservations", "stuck_rows"]

LIMIT = 50  # problems listed per check; the count says how many more


def _capped(problems: list[str], total: int, what: str) -> list[str]:
    if total > len(problems):
        problems.append(f"… и ещё {total - len(problems)} {what}.")
    return problems


def _scoped(rows, municipality_id: int | None, field: str):
    return rows if municipality_id is None else rows.filter(**{field: municipality_id})


def stuck_rows(municipality_id: int | None = None):
    """Contract months still reserved while the provider's invoice of the month is accepted
    and no supplementary invoice (or correction) of it is in progress."""
    invoices = Invoice.objects.filter(
        provider_id=OuterRef("contract__provider_id"), month=OuterRef("month")
    )
    rows = (
        ContractMonth.objects.filter(
            contract__funding=Contract.Funding.CERTIFICATE, reservation_id__isnull=False
        )
        .exclude(ledger_selectors.reservation_resolved("reservation_id"))
        .filter(Exists(invoices.filter(kind=InvoiceKind.MAIN, status=DocumentStatus.ACCEPTED)))
        .exclude(Exists(invoices.exclude(kind=InvoiceKind.MAIN).filter(status__in=OPEN_STATUSES)))
    )
    return _scoped(rows, municipality_id, "contract__municipality_id")


def stuck_reservations(*, municipality_id: int | None = None) -> list[str]:
    """(a) No open reservation of a month whose documents are all accepted: it would never
    be billed nor released (a supplementary invoice must take it)."""
    rows = stuck_rows(municipality_id)
    total = rows.count()
    problems = [
        f"Договор № {number}: резерв за {month_label(month)} открыт, а все счета месяца "
        "приняты — нужен дополнительный счёт."
        for number, month in rows.order_by("month", "contract_id").values_list(
            "contract__number", "month"
        )[:LIMIT]
    ]
    return _capped(problems, total, "открытых резервов принятых месяцев")


def charges_out_of_term(*, municipality_id: int | None = None) -> list[str]:
    """(b) No charge for a month after the certificate ended (cancelled or expired: the day
    its status changed; any: its validity) nor before the contract was accepted (a month
    before the acceptance's month; with a pro-rata rule, days before the acceptance's day)."""
    ended = Certificate.Status.CANCELLED, Certificate.Status.EXPIRED
    cert = "contract__certificate__"
    accepted_day = TruncDate("contract__accepted_at")
    rows = InvoiceLine.objects.filter(
        invoice__status=DocumentStatus.ACCEPTED,
        invoice__kind__in=[InvoiceKind.MAIN, InvoiceKind.SUPPLEMENTARY],
        billed_kopecks__gt=0,
    ).filter(
        Q(invoice__month__gt=F(f"{cert}valid_until"))
        | Q(
            **{f"{cert}status__in": ended},
            invoice__month__gt=TruncDate(f"{cert}status_changed_at"),
        )
        | Q(contract__accepted_at__isnull=True)
        | Q(invoice__month__lt=TruncMonth("contract__accepted_at", output_field=DateField()))
        | (~Q(invoice__boundary_rule="full") & Q(active_from__lt=accepted_day))
    )
    rows = _scoped(rows, municipality_id, "invoice__municipality_id")
    total = rows.count()
    problems = [
        f"Договор № {number}: списано за {month_label(month)} вне срока (сертификат "
        f"{status_label(status)} до {valid:%d.%m.%Y}, договор принят "
        f"{accepted:%d.%m.%Y})."
        if accepted
        else f"Договор № {number}: списано за {month_label(month)}, а договор не принят."
        for number, month, status, valid, accepted in rows.order_by("invoice__month", "pk")
        .annotate(accepted_on=accepted_day)
        .values_list(
            "contract__number",
            "invoice__month",
            f"{cert}status",
            f"{cert}valid_until",
            "accepted_on",
        )[:LIMIT]
    ]
    return _capped(problems, total, "списаний вне срока")


def status_label(status: str) -> str:
    return str(dict(Certificate.Status.choices).get(status, status))


def quota_exceeded(*, municipality_id: int | None = None) -> list[str]:
    """(c) Financing certificates funded in a period (a nominal granted there) and still in
    force never outnumber the period's quota. A certificate that ended freed its place, so
    it no longer counts."""
    periods = FinancingPeriod.objects.exclude(status=FinancingPeriod.Status.DRAFT)
    periods = _scoped(periods, municipality_id, "municipality_id")
    problems = []
    for period in periods.order_by("starts_on", "pk"):
        funded = Certificate.objects.filter(
            pk__in=ledger_selectors.granted_holder_ids(period),
            type=Certificate.Type.FINANCING,
            status__in=Certificate.LIVE,
        ).count()
        if funded > period.certificate_quota:
            problems.append(
                f"Период «{period.name}»: номинал начислен {funded} сертификатам "
                f"финансирования, а квота {period.certificate_quota}."
            )
    return problems


ALL = {
    "billing.stuck_reservations": stuck_reservations,
    "billing.charges_out_of_term": charges_out_of_term,
    "billing.quota_exceeded": quota_exceeded,
}


def domain_problems(*, municipality_id: int | None = None) -> list[str]:
    problems: list[str] = []
    for check in ALL.values():
        problems += check(municipality_id=municipality_id)
    return problems
