"""Billing's background jobs: the month run and the period close (started by
`services.start_month_run` / `services.start_period_close`; the commands bill_month and
close_period run the same services in the foreground for operators)."""

from __future__ import annotations

import datetime as dt

from pfdo.billing import services
from pfdo.financing.models import FinancingPeriod
from pfdo.jobs import registry
from pfdo.territory.models import Municipality


def _actor(job):
    # Whoever started the job: the service checks their access again, as at the start.
    return job.created_by


@registry.handler(services.MONTH_RUN, label="Расчёт месяца")
def month_run(job, progress) -> dict:
    municipality = Municipality.objects.get(pk=job.municipality_id)
    month = dt.date.fromisoformat(job.params["month"] + "-01")
    result = services.bill_month(
        actor=_actor(job), municipality=municipality, month=month, progress=progress
    )
    return services.month_run_result(result)


@registry.handler(services.PERIOD_CLOSE, label="Закрытие периода")
def period_close(job, progress) -> dict:
    period = FinancingPeriod.objects.select_related("municipality").get(pk=job.params["period"])
    progress(0, 1)
    closing = services.close_period(actor=_actor(job), period=period)
    progress(1, 1)
    return services.period_close_result(period, closing)
