"""Scheduled enrolment jobs (celery beat, config/settings.py): the terms that run out, and the
reminders before they do. Both find only what is left, so a doubled run does nothing twice;
the same services serve `manage.py run_enrolment_deadlines` for operators."""

from __future__ import annotations

from celery import shared_task

from pfdo.enrolment import services


@shared_task(name="pfdo.enrolment.run_deadlines")
def run_deadlines() -> dict:
    """Every 5 minutes: expired applications and offers, excluded providers' contracts on the
    operator's date, finished contracts."""
    result = services.run_deadlines()
    return {
        "applications_expired": result.applications_expired,
        "offers_expired": result.offers_expired,
        "contracts_completed": result.contracts_completed,
        "contracts_terminated": result.contracts_terminated,
    }


@shared_task(name="pfdo.enrolment.send_reminders")
def send_reminders() -> int:
    """Every morning: reminders of offers, confirmations and decisions whose term ends soon."""
    return services.send_reminders()
