"""Scheduled certificate jobs (celery beat, config/settings.py), the same services as
`manage.py expire_certificates` and `manage.py grant_period_nominals --all`: each finds only
what is left, so a doubled run does nothing twice."""

from __future__ import annotations

import logging

from celery import shared_task

from pfdo.certificates import services
from pfdo.common import clock

log = logging.getLogger(__name__)


@shared_task(name="pfdo.certificates.expire_certificates")
def expire_certificates() -> int:
    """Every night: certificates of children who turned 18 expire, their money returns."""
    return services.expire_certificates(actor=None, today=clock.today())


@shared_task(name="pfdo.certificates.grant_period_nominals")
def grant_period_nominals() -> int:
    """Every night, after the expiry: the nominals of every running approved period (a new
    period's arrive on its first day); a municipality's short budget is logged and skipped."""
    total = 0
    for run in services.grant_running_periods(clock.today()):
        if run.error:
            log.error("nominals of %s, period %s: %s", run.municipality, run.period.pk, run.error)
        total += run.granted
    return total
