"""The certificates' background work: filing a checked import file (imports/jobs.py), and the
scheduled jobs (celery beat, config/settings.py) — the same services as
`manage.py expire_certificates` and `manage.py grant_period_nominals --all`: each finds only
what is left, so a doubled run does nothing twice."""

from __future__ import annotations

import dataclasses
import logging

from celery import shared_task

from pfdo.certificates import imports, services
from pfdo.common import clock
from pfdo.common.errors import DomainError
from pfdo.jobs import registry

log = logging.getLogger(__name__)


@registry.handler(imports.IMPORT_JOB, label="Загрузка детей из файла")
def children_import(job, progress) -> dict:
    try:
        result = imports.run_import(job, progress)
    except DomainError:
        imports.discard_file(job)  # the job ends refused: nothing will read the file again
        raise
    lines = [f"Загружено заявлений: {result.imported}"]
    if result.skipped:
        lines.append(f"Пропущено строк с ошибками: {result.skipped}")
    lines.append(
        f"Новых учётных записей родителей: {result.parents_created}; привязано к "
        f"существующим: {result.parents_existing}"
    )
    if not result.approved:
        lines.append("Заявления ждут решения в очереди заявлений.")
    else:
        lines += [
            f"Выдано сертификатов финансирования: {result.financing}, сертификатов учёта: "
            f"{result.accounting}",
            f"Родителей уведомлено о логине: {result.notified}. Пароли на этой странице не "
            "показываются: пароль родитель получает у оператора или задаёт сам через "
            "«Забыли пароль?».",
        ]
    return {
        "summary": f"Загружено заявлений: {result.imported}.",
        "lines": lines,
        "data": dataclasses.asdict(result),
    }


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
