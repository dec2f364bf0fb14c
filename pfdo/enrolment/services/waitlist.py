"""Places that come free: an application ending without a contract gives its place back,
and the first in the group's line gets an offer for it."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from pfdo.audit import services as audit
from pfdo.catalog.models import Group
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.enrolment.models import Application
from pfdo.enrolment.services._common import (
    EnrolmentRefused,
    Status,
    _free_seat,
    _load_group,
    _lock_application,
    _lock_limited_provider,
    _notify_parent,
    _save_status,
    _take_seat,
)
from pfdo.enrolment.services.offers import _offer
from pfdo.enrolment.services.preconditions import check_preconditions


def _end_application(
    actor, application: Application, end: Callable[[str], None], reason: str, action: str
) -> None:
    """An application ends without a contract by the transition `end` (one of Application's
    ending transitions, bound to it); its place (if any) goes to the waitlist."""
    held = application.holds_place
    end(reason)
    _save_status(application)
    audit.record(
        actor=actor,
        action=action,
        obj=application,
        municipality=application.municipality,
        details={"reason": reason} if reason else None,
    )
    if held:
        release_place(actor=actor, group_id=application.group_id)


def release_place(*, actor, group_id: int) -> None:
    """A place freed up: give it to the first in line (an offer), or leave it free."""
    _free_seat(group_id)
    promote_waitlist(actor=actor, group_id=group_id)


def promote_waitlist(*, actor, group_id: int) -> int:
    """Offer free places to waitlisted applications, oldest first. Returns offers made."""
    made = 0
    while True:
        first = (
            Application.objects.filter(group_id=group_id, status=Status.WAITLISTED)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if first is None:
            return made
        certificate, application = _lock_application(first)
        if application.status != Status.WAITLISTED:
            continue
        group = _load_group(group_id)
        try:
            with transaction.atomic():
                _lock_limited_provider(group)
                check_preconditions(
                    certificate=certificate, group=group, copay_agreed=application.copay_agreed
                )
                if not _take_seat(Group.objects.select_for_update().get(pk=group_id)):
                    return made
                _offer(actor, certificate, application)
        except (EnrolmentRefused, ValidationFailed, Conflict) as exc:
            application.expire(f"Место освободилось, но: {exc.message}")
            _save_status(application)
            _notify_parent(
                application,
                "Заявка из листа ожидания не может быть исполнена",
                f"{certificate.child.short_name}: место освободилось, но записаться нельзя: "
                f"{exc.message}",
            )
            continue
        made += 1
