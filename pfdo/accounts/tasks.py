"""The tasks of e-mail: deliver notifications' letters, sweep the outbox (celery beat), send a
letter that is not a notification (a password reset link)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from pfdo.accounts import services
from pfdo.common import clock

log = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=services.EMAIL_MAX_ATTEMPTS, name=services.DELIVER_TASK)
def deliver(self, ids: list[int]) -> int:
    """Send the pending letters of these notifications; the ones the mail server refused are
    tried again by this task after a back-off (in a worker; without a broker the sweep or
    `manage.py send_outbox` does it). Returns how many were sent."""
    result = services.deliver(ids)
    if result.retry and not self.request.is_eager and self.request.retries < self.max_retries:
        wait = (result.retry_at - clock.now()).total_seconds() if result.retry_at else 60
        raise self.retry(args=[result.retry], countdown=max(1, int(wait)))
    return result.sent


@shared_task(name="pfdo.accounts.sweep_outbox")
def sweep_outbox() -> int:
    """Every minute (celery beat): letters pending for more than a minute past their due
    moment, which no task delivered, are sent now — once (see services.deliver)."""
    result = services.sweep_outbox()
    if result.sent or result.retry or result.failed:
        log.info(
            "outbox sweep at %s: sent %s, put off %s, given up %s",
            timezone.localtime(clock.now()),
            result.sent,
            len(result.retry),
            result.failed,
        )
    return result.sent


@shared_task(bind=True, max_retries=3, name=services.LETTER_TASK)
def send_letter(self, subject: str, body: str, to: str) -> None:
    """One letter that has no outbox row (services.send_letter says why): tried again after a
    refusal of the mail server, then given up in the log."""
    try:
        services.send_letter_now(subject=subject, body=body, to=to)
    except Exception as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            log.exception("a letter was not sent")
            return
        raise self.retry(countdown=60 * 2**self.request.retries) from exc
