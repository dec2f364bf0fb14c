"""The month run and the period close as background jobs: started here (the access and the
refusals checked at once, so the caller gets them as for any write), run by the handlers in
billing/tasks.py, and their results in the words the pages show.

Exactly once: a job's key is what it works on (the municipality and month; the period), so a
second click or a second official joins the job already waiting or running; and both runs are
safe to repeat from the start (each provider's document, each step of the close, is its own
transaction and what exists is kept), so a job run again after its worker died, or after a
dropped connection, finishes what is missing and builds nothing twice.
"""

from __future__ import annotations

import datetime as dt

from pfdo.billing.models import PeriodClosing
from pfdo.billing.services.month_run import RunResult, check_month_run
from pfdo.billing.services.period_close import close_refusal, continuations_offered
from pfdo.common.authz import authorize
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_label, month_start
from pfdo.financing.models import FinancingPeriod
from pfdo.jobs import services as jobs

__all__ = [
    "MONTH_RUN",
    "PERIOD_CLOSE",
    "closing_summary",
    "month_run_result",
    "period_close_result",
    "start_month_run",
    "start_period_close",
]

MONTH_RUN = "billing.month_run"
PERIOD_CLOSE = "billing.period_close"
CLOSE_ALLOWED = "Закрыть период может только оператор муниципалитета."


def start_month_run(*, actor, municipality, month: dt.date, back: str = ""):
    """The month run of `municipality` for `month` as a job (the one already waiting or
    running for them, if any). Refused at once as the run itself would refuse it."""
    month = month_start(month)
    check_month_run(actor=actor, municipality=municipality, month=month)
    return jobs.start(
        kind=MONTH_RUN,
        actor=actor,
        municipality=municipality,
        params={"month": f"{month:%Y-%m}", "back": back},
        key=f"{municipality.code}:{month:%Y-%m}",
    )


def month_run_result(result: RunResult) -> dict:
    """The job's result: the figures the run page shows, as lines, and as data for the API."""
    label = month_label(result.month)
    lines = [
        f"Поставщиков с договорами: {result.providers}",
        f"Сформировано счетов: {result.invoices_built}",
        f"Сформировано заявок на аванс: {result.advances_built}",
        f"Сформировано дополнительных счетов: {result.supplementary_built}",
        f"Сформировано корректировок: {result.corrections_built}",
        f"Строк (договоров) в новых документах: {result.lines}",
        f"Уже были сформированы раньше: {result.already_there}",
        f"Отказано: {len(result.refused)}",
    ]
    lines += [f"Отказ — {name}: {reason}" for name, reason in result.refused]
    if result.invoices_built or result.advances_built:
        lines.append("Новые документы — черновики: поставщики проверят и подадут их.")
    return {
        "summary": f"Документы за {label} сформированы.",
        "lines": lines,
        "data": {
            "month": f"{result.month:%Y-%m-%d}",
            "providers": result.providers,
            "advances_built": result.advances_built,
            "invoices_built": result.invoices_built,
            "already_there": result.already_there,
            "supplementary_built": result.supplementary_built,
            "corrections_built": result.corrections_built,
            "lines": result.lines,
            "refused": [{"provider": p, "message": m} for p, m in result.refused],
        },
    }


def start_period_close(*, actor, period: FinancingPeriod, back: str = ""):
    """The period close as a job (the one already waiting or running, if any). Refused at
    once as the close would refuse it; a finished close answers `period_closed`."""
    authorize(actor, "billing.close_period", period, message=CLOSE_ALLOWED)
    period = FinancingPeriod.objects.select_related("municipality").get(pk=period.pk)
    closing = PeriodClosing.objects.filter(period=period).first()
    refusal = close_refusal(period, closing=closing)
    if refusal is not None:
        raise refusal
    return jobs.start(
        kind=PERIOD_CLOSE,
        actor=actor,
        municipality=period.municipality,
        params={"period": period.pk, "back": back},
        key=f"period:{period.pk}",
    )


def closing_summary(period: FinancingPeriod, closing: PeriodClosing) -> str:
    return (
        f"Период «{period.name}» закрыт: сгорело {format_kopecks(closing.lapsed_kopecks)} "
        f"на {closing.lapsed_certificates} сертификатах, договоров продолжено в следующем "
        f"периоде — {closing.continued_contracts}, предложено продолжить на новых "
        f"условиях (ждут согласия семьи) — {continuations_offered(closing)}, "
        f"завершено — {closing.ended_contracts}."
    )


def period_close_result(period: FinancingPeriod, closing: PeriodClosing) -> dict:
    offered = continuations_offered(closing)
    return {
        "summary": closing_summary(period, closing),
        "lines": [
            f"Сгорело: {format_kopecks(closing.lapsed_kopecks)}",
            f"Сертификатов с остатком: {closing.lapsed_certificates}",
            f"Договоров продолжено в следующем периоде: {closing.continued_contracts}",
            f"Предложено продолжить на новых условиях: {offered}",
            f"Договоров завершено: {closing.ended_contracts}",
        ],
        "data": {
            "period": period.pk,
            "next_period": closing.next_period_id,
            "lapsed_kopecks": closing.lapsed_kopecks,
            "lapsed_certificates": closing.lapsed_certificates,
            "continued_contracts": closing.continued_contracts,
            "continuations_offered": offered,
            "ended_contracts": closing.ended_contracts,
        },
    }
