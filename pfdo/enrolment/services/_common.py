"""Plumbing shared by enrolment's use cases: row locks in the one order, seats, notices.

Concurrency: every service that can race locks rows in one order — the certificate, then
the application/contract, then the group — and seats and balances are also guarded by
conditional UPDATEs and CHECK/UNIQUE constraints (seats_taken ≤ capacity, available ≥ 0,
one live contract per child and group), so a forgotten lock cannot corrupt data.
"""

from __future__ import annotations

from django.db.models import F
from django.urls import reverse

from pfdo.accounts import services as accounts
from pfdo.catalog.models import Group
from pfdo.certificates.models import Certificate
from pfdo.common.errors import Conflict, NotFound
from pfdo.enrolment.models import Application, Contract
from pfdo.providers.models import EnrolmentLimit, Provider, ProviderStaff

Status = Application.Status

# What an application's own status change writes (see the transitions on Application; each
# also forgets the in-person confirmation code).
STATUS_FIELDS = ["status", "status_changed_at", "reason", "confirm_code_hash"]


class EnrolmentRefused(Conflict):
    """A precondition of enrolment is not met; `code` says which one."""

    code = "enrolment_refused"


def _refuse(code: str, message: str) -> EnrolmentRefused:
    return EnrolmentRefused(message, code=code)


# ----------------------------------------------------------------------------- access


def _save_status(application: Application) -> None:
    """Store a transition the application just made."""
    application.save(update_fields=STATUS_FIELDS)


# ----------------------------------------------------------------------------- seats


def _take_seat(group: Group) -> bool:
    """One place, if free: a conditional UPDATE, so concurrent takers never overbook."""
    return bool(
        Group.objects.filter(pk=group.pk, seats_taken__lt=F("capacity")).update(
            seats_taken=F("seats_taken") + 1
        )
    )


def _free_seat(group_id: int) -> None:
    Group.objects.filter(pk=group_id, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)


# ----------------------------------------------------------------------------- locks


def _lock_certificate(certificate_id: int) -> Certificate:
    # OF self: the joined child and municipality rows stay unlocked (locking the municipality
    # made every enrolment in it wait for every other).
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .filter(pk=certificate_id)
        .select_related("child", "municipality")
        .first()
    )
    if certificate is None:
        raise NotFound("Сертификат не найден.")
    return certificate


def _load_group(group_id: int) -> Group:
    group = (
        Group.objects.select_related("module__program__provider")
        .prefetch_related("schedule")
        .filter(pk=group_id)
        .first()
    )
    if group is None:
        raise NotFound("Группа не найдена.")
    return group


def _lock_limited_provider(group: Group) -> bool:
    """A provider's enrolment limit counts children over all its groups: with a limit set,
    places at that provider are taken one at a time (its row locked after the certificate,
    before the group), so two children cannot both take the last one under the limit.
    Returns whether the provider has any limit."""
    provider_id = group.module.program.provider_id
    if EnrolmentLimit.objects.filter(provider_id=provider_id).exists():
        Provider.objects.select_for_update().filter(pk=provider_id).first()
        return True
    return False


def _group_of(group: Group) -> Group:
    """`group` with its module, programme, provider and schedule: the one given when it was
    read with them (the API's look-up reads it so), else read again."""
    state = group._state.fields_cache
    module = state.get("module")
    if (
        module is not None
        and "program" in module._state.fields_cache
        and "provider" in module.program._state.fields_cache
        and "schedule" in getattr(group, "_prefetched_objects_cache", {})
    ):
        return group
    return _load_group(group.pk)


def _lock_application(application_id: int) -> tuple[Certificate, Application]:
    """Lock in the fixed order: the certificate, then the application."""
    certificate_id = (
        Application.objects.filter(pk=application_id)
        .values_list("certificate_id", flat=True)
        .first()
    )
    if certificate_id is None:
        raise NotFound("Заявка не найдена.")
    certificate = _lock_certificate(certificate_id)
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("parent", "provider", "municipality")
        .get(pk=application_id)
    )
    return certificate, application


def _lock_contract(contract_id: int) -> tuple[Certificate, Contract]:
    """Lock in the fixed order: the certificate, then the contract."""
    certificate_id = (
        Contract.objects.filter(pk=contract_id).values_list("certificate_id", flat=True).first()
    )
    if certificate_id is None:
        raise NotFound("Договор не найден.")
    certificate = _lock_certificate(certificate_id)
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("application", "provider", "period", "group", "parent")
        .get(pk=contract_id)
    )
    return certificate, contract


# ----------------------------------------------------------------------- notifications


def _contract_link(contract: Contract) -> str:
    """The parent's page of the contract."""
    return reverse("enrolment:parent_contract", args=[contract.pk])


def rating_form_path(contract: Contract) -> str:
    """The family's form rating the contract's programme (served by the ratings app, above
    this one: a path, not an import)."""
    return f"/cabinet/parent/ratings/contracts/{contract.pk}/"


def _notify_parent(application: Application, subject: str, body: str, link: str = "") -> None:
    """A notice to the application's parent; it links to the application unless told."""
    accounts.notify(
        user=application.parent,
        subject=subject,
        body=body,
        link=link or reverse("enrolment:parent_application", args=[application.pk]),
    )


def _parent_notice(application: Application, subject: str, body: str):
    """`_notify_parent`'s row, unsaved (the caller writes it, then `deliver_after_commit`)."""
    return accounts.notice(
        user=application.parent,
        subject=subject,
        body=body,
        link=reverse("enrolment:parent_application", args=[application.pk]),
    )


def _notify_provider(contract: Contract, subject: str, body: str) -> None:
    """A notice to every working staff member of the contract's provider."""
    link = reverse("enrolment:provider_contract", args=[contract.pk])
    for staff in (
        ProviderStaff.objects.filter(provider_id=contract.provider_id, is_active=True)
        .select_related("user")
        .order_by("pk")
    ):
        accounts.notify(user=staff.user, subject=subject, body=body, link=link)
