"""How a job reads on its page and in the API."""

from __future__ import annotations

from pfdo.jobs import registry
from pfdo.jobs.models import Job


def label(job: Job) -> str:
    return registry.label(job.kind)


def summary(job: Job) -> str:
    """One sentence for the page's live status line."""
    if job.status == Job.Status.QUEUED:
        return "Задание в очереди, скоро начнётся."
    if job.status == Job.Status.RUNNING:
        if job.progress_total:
            return f"Выполняется: {job.progress_done} из {job.progress_total} ({job.percent} %)."
        return "Выполняется."
    if job.status == Job.Status.FAILED:
        return job.error or "Задание не выполнено."
    return str(job.result.get("summary") or "Готово.")
