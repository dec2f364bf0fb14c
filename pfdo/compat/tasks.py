"""Periodic work of the compatibility API: the sweep of expired enrolment verifications."""

from __future__ import annotations

from celery import shared_task

from pfdo.compat.services import verification


@shared_task(name="pfdo.compat.sweep_enrolment_verifications")
def sweep_enrolment_verifications() -> int:
    """Hourly (celery beat): delete the public enrolment checks that expired unconfirmed.
    Their rows, not this task, decide what is live: every look-up asks `expires_at`."""
    return verification.sweep()
