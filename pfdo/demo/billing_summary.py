"""What the billing demo of a municipality holds: the figures the seed command prints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum

from pfdo.billing.models import AdvanceRequest, Attendance, DocumentStatus, Invoice, Payment
from pfdo.common import clock
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_end, month_start, months_between
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.enrolment.selectors import month_label
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import selectors as ledger_selectors

Status = DocumentStatus


@dataclass(frozen=True)
class Summary:
    """What the billing demo of one municipality holds (for the seed command and tests)."""

    billed_months: tuple[dt.date, ...]  # months whose invoices are all accepted
    open_month: dt.date | None  # the current month of the running period
    advances_accepted: int
    invoices_accepted: int
    payments: int
    paid_kopecks: int
    outstanding_kopecks: int
    attendance_marks: int

    def describe(self) -> str:
        months = ", ".join(month_label(m) for m in self.billed_months) or "нет"
        text = (
            f"Оплата поставщиков: счета приняты за месяцы — {months} (счетов "
            f"{self.invoices_accepted}, заявок на аванс {self.advances_accepted}); платежей "
            f"{self.payments} на {format_kopecks(self.paid_kopecks)}, к оплате осталось "
            f"{format_kopecks(self.outstanding_kopecks)}."
        )
        if self.open_month is not None:
            text += (
                f" {month_label(self.open_month).capitalize()} открыт: счёт за него — после "
                "окончания месяца."
            )
        return text + f" Отметок посещаемости: {self.attendance_marks}."


def summary(*, municipality, period: FinancingPeriod | None) -> Summary:
    today = clock.today()
    advances = AdvanceRequest.objects.filter(municipality=municipality, status=Status.ACCEPTED)
    invoices = Invoice.objects.filter(municipality=municipality, status=Status.ACCEPTED)
    billed: list[dt.date] = []
    open_month = None
    if period is not None and period.status != FinancingPeriod.Status.DRAFT:
        if period.starts_on <= today <= period.ends_on:
            open_month = month_start(today)
        for month in period_months(period, today):
            if month_end(month) >= today:
                continue
            expected = set(providers_with_months(municipality, month))
            accepted = set(
                invoices.filter(month=month).values_list("provider_id", flat=True).distinct()
            )
            if expected and expected <= accepted:
                billed.append(month)
    owed = (
        (advances.aggregate(s=Sum("amount_kopecks"))["s"] or 0)
        + (invoices.aggregate(s=Sum("due_kopecks"))["s"] or 0)
        - (advances.aggregate(s=Sum("paid_kopecks"))["s"] or 0)
        - (invoices.aggregate(s=Sum("paid_kopecks"))["s"] or 0)
    )
    payments = Payment.objects.filter(municipality=municipality)
    return Summary(
        billed_months=tuple(billed),
        open_month=open_month,
        advances_accepted=advances.count(),
        invoices_accepted=invoices.count(),
        payments=payments.count(),
        paid_kopecks=payments.aggregate(s=Sum("amount_kopecks"))["s"] or 0,
        outstanding_kopecks=owed,
        attendance_marks=Attendance.objects.filter(contract__municipality=municipality).count(),
    )


def period_months(period: FinancingPeriod, today: dt.date) -> list[dt.date]:
    """The period's months from its first to the current one (or its last)."""
    return months_between(period.starts_on, min(today, period.ends_on))


def providers_with_months(municipality, month: dt.date) -> list[int]:
    """Providers with a contract month reserved in `month` and not given back (what the
    month run bills)."""
    return list(
        ContractMonth.objects.filter(
            month=month,
            contract__municipality=municipality,
            contract__funding=Contract.Funding.CERTIFICATE,
            reservation_id__isnull=False,
        )
        .exclude(reservation_id__in=ledger_selectors.voided_reservation_ids())
        .order_by("contract__provider_id")
        .values_list("contract__provider_id", flat=True)
        .distinct()
    )
