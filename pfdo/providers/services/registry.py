"""The provider registry: an application, the operator's decisions on it, and whether a
provider may take new enrolments."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django_fsm import can_proceed

from pfdo.accounts import services as accounts
from pfdo.audit import services as audit
from pfdo.common import clock, context, ratelimit
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.hooks import Hook
from pfdo.common.transactions import atomic_retry
from pfdo.providers.models import ContractsOnExclusion, Provider, ProviderStaff
from pfdo.providers.services._common import authorize, create_staff, lock
from pfdo.providers.services.duplicates import (
    DUPLICATE_REJECTION,
    duplicate_reason,
    provider_on_file,
    tell_provider_on_file,
)
from pfdo.providers.services.validation import (
    EMPTY_PROFILE,
    normalise_profile,
    profile_errors,
    staff_errors,
)

if TYPE_CHECKING:
    from pfdo.providers.services.staff import NewStaff

Status = Provider.Status

# Exclusion ends the provider's pending applications and open offers and settles its running
# contracts as the operator decided (domain.md §4). They live in enrolment, above this app:
# enrolment connects its handler here in its AppConfig.ready(). Called with `actor`,
# `provider` (locked, excluded and saved, `contracts_terminate_on` set or empty) and `reason`,
# inside the exclusion's transaction.
provider_excluded = Hook(
    "providers.provider_excluded", "A provider was excluded: end its enrolments and contracts."
)


class ProviderNotActive(Conflict):
    """The provider is not in the registry now (under review, needs check, excluded…)."""

    code = "provider_not_active"
    default_message = "Поставщик сейчас не принимает новых зачислений."


def apply_provider(
    *, actor, municipality, profile: Mapping[str, Any], first_staff: NewStaff
) -> Provider:
    """A provider asks to enter the registry; its first staff user becomes its admin.

    Anyone may apply (no login needed). The provider waits `under_review` for the operator.
    An ИНН the registry already holds is answered as any other (the form must not tell which
    organisations applied): the application is filed flagged as a duplicate, and the
    organisation on file gets a letter. Counted per client address and per ИНН before the
    transaction (the refusal's row in the action history must survive): `RateLimited` over.
    """
    _count_attempt(municipality, profile)
    return _apply_provider(
        actor=actor, municipality=municipality, profile=profile, first_staff=first_staff
    )


def _count_attempt(municipality, profile: Mapping[str, Any]) -> None:
    ip = context.current().ip
    if ip is None:
        return  # no client: the demo seed or a command acting for the system
    buckets = [("provider_apply_ip", f"ip:{ip}")]
    inn = re.sub(r"\D", "", str(profile.get("inn") or ""))
    if inn:
        # Per ИНН from whatever address: caps the letters one organisation can be sent.
        buckets.append(("provider_apply_inn", f"inn:{inn}"))
    ratelimit.hit(*buckets, municipality=municipality)


@atomic_retry
def _apply_provider(
    *, actor, municipality, profile: Mapping[str, Any], first_staff: NewStaff
) -> Provider:
    if municipality is None or not municipality.is_active:
        raise ValidationFailed(
            fields={"municipality": "Выберите муниципалитет, подключённый к системе."}
        )
    data = {**EMPTY_PROFILE, **normalise_profile(profile)}
    errors = profile_errors(data, municipality=municipality, check_duplicate=False)
    errors.update(staff_errors(first_staff, prefix="staff_", require_email=True))
    if first_staff.password is None:
        errors.setdefault("staff_password", []).append("Придумайте пароль.")
    if errors:
        raise ValidationFailed(fields=errors)
    provider = Provider(
        municipality=municipality, status=Status.UNDER_REVIEW, applied_at=clock.now(), **data
    )
    existing = provider_on_file(municipality, provider.inn)
    if existing is not None:
        provider.duplicate_reason = duplicate_reason(existing)
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError:  # another application with this ИНН committed first
        existing = provider_on_file(municipality, provider.inn)
        if existing is None:
            raise
        provider.duplicate_reason = duplicate_reason(existing)
        with transaction.atomic():
            provider.save()
    if existing is not None:
        tell_provider_on_file(existing)
    applicant = actor if actor is not None and actor.is_authenticated else None
    row, _ = create_staff(
        actor=applicant, provider=provider, staff=first_staff, is_admin=True, prefix="staff_"
    )
    audit.record(
        actor=applicant or row.user,
        action="providers.applied",
        obj=provider,
        municipality=municipality,
        details={
            "inn": provider.inn,
            "legal_form": provider.legal_form,
            "admin": row.user.username,
            "flagged_duplicate": bool(provider.duplicate_reason),
        },
    )
    return provider


@atomic_retry
def resubmit(*, actor, provider: Provider) -> Provider:
    """After a refusal the provider admin fixes the card and asks again."""
    authorize(
        actor, "providers.change_provider", provider, "Заявку подаёт администратор организации."
    )
    provider = lock(provider)
    if not can_proceed(provider.resubmit):
        raise Conflict(
            "Подать заявку повторно можно только после отказа во включении; "
            f"сейчас поставщик {provider.get_status_display()}.",
            code="invalid_status",
        )
    previous = provider.status
    provider.resubmit()
    provider.applied_at = provider.status_changed_at = clock.now()
    provider.status_reason = ""
    provider.save(update_fields=["status", "applied_at", "status_changed_at", "status_reason"])
    audit.record(
        actor=actor,
        action="providers.resubmitted",
        obj=provider,
        municipality=provider.municipality,
        details={"from": previous, "to": provider.status},
    )
    return provider


@dataclass(frozen=True)
class _Move:
    action: str
    reason_required: bool
    wrong_state: str


_MOVES = {
    "include": _Move(
        "providers.included", False, "Включить в реестр можно только заявку на рассмотрении"
    ),
    "reject": _Move("providers.rejected", True, "Отказать можно только по заявке на рассмотрении"),
    "mark_needs_check": _Move(
        "providers.marked_needs_check",
        True,
        "Отправить на проверку можно только поставщика, который в реестре",
    ),
    "reinstate": _Move(
        "providers.reinstated",
        False,
        "Вернуть в реестр можно только поставщика, требующего проверки",
    ),
    "exclude": _Move(
        "providers.excluded",
        True,
        "Исключить можно только поставщика в реестре или требующего проверки",
    ),
}


def _decide(
    *,
    actor,
    provider: Provider,
    move: str,
    reason: str,
    errors: Mapping[str, str] | None = None,
    changes: Mapping[str, Any] | None = None,
) -> Provider:
    """Apply a registry decision: `errors` are the move's own field errors (raised with the
    reason's), `changes` the fields it sets besides the status."""
    spec = _MOVES[move]
    authorize(
        actor,
        "providers.decide",
        provider,
        "Решения по реестру принимает оператор муниципалитета поставщика.",
    )
    provider = lock(provider)
    transition = getattr(provider, move)
    if not can_proceed(transition):
        raise Conflict(
            f"{spec.wrong_state}; сейчас поставщик {provider.get_status_display()}.",
            code="invalid_status",
        )
    reason = (reason or "").strip()
    problems = dict(errors or {})
    if spec.reason_required and not reason:
        problems = {"reason": "Укажите причину: её увидит поставщик.", **problems}
    if problems:
        raise ValidationFailed(fields=problems)
    previous = provider.status
    transition()
    now = clock.now()
    provider.status_reason = reason
    provider.status_changed_at = now
    fields = ["status", "status_reason", "status_changed_at"]
    if move == "include":
        provider.included_at = now
        fields.append("included_at")
    for name, value in (changes or {}).items():
        setattr(provider, name, value)
        fields.append(name)
    provider.save(update_fields=fields)
    details = {"from": previous, "to": provider.status, "reason": reason}
    details.update({k: v.isoformat() if v else v for k, v in (changes or {}).items()})
    audit.record(
        actor=actor,
        action=spec.action,
        obj=provider,
        municipality=provider.municipality,
        details=details,
    )
    return provider


@atomic_retry
def include(*, actor, provider: Provider, reason: str = "") -> Provider:
    """The application is accepted: the provider enters the registry and may take children.
    A flagged duplicate never is: the organisation on file holds its ИНН."""
    if provider.duplicate_reason:
        raise Conflict(
            f"Заявка — дубликат: {provider.duplicate_reason}. Отклоните её как дубликат.",
            code="duplicate_provider",
        )
    return _decide(actor=actor, provider=provider, move="include", reason=reason)


@atomic_retry
def reject(*, actor, provider: Provider, reason: str) -> Provider:
    return _decide(actor=actor, provider=provider, move="reject", reason=reason)


@atomic_retry
def reject_duplicate(*, actor, provider: Provider) -> Provider:
    """One click: a flagged duplicate is refused with the neutral reason, and its applicant
    is told so (cabinet and e-mail) without a word about the organisation on file."""
    if not provider.duplicate_reason:
        raise Conflict(
            "Заявка не отмечена как дубликат: откажите с причиной.", code="not_duplicate"
        )
    rejected = _decide(actor=actor, provider=provider, move="reject", reason=DUPLICATE_REJECTION)
    for row in ProviderStaff.objects.filter(provider=rejected, is_active=True).select_related(
        "user"
    ):
        accounts.notify(
            user=row.user,
            subject="Заявка на включение в реестр отклонена",
            body=f"«{rejected.short_name}»: {DUPLICATE_REJECTION}",
        )
    return rejected


@atomic_retry
def mark_needs_check(*, actor, provider: Provider, reason: str) -> Provider:
    """Stays public, takes no new enrolments until reinstated."""
    return _decide(actor=actor, provider=provider, move="mark_needs_check", reason=reason)


@atomic_retry
def reinstate(*, actor, provider: Provider, reason: str = "") -> Provider:
    return _decide(actor=actor, provider=provider, move="reinstate", reason=reason)


def exclusion_errors(contracts: str, terminate_on: dt.date | None) -> dict[str, str]:
    """What is wrong with the operator's decision on the running contracts (field → message)."""
    if contracts not in ContractsOnExclusion.values:
        return {"contracts": "Выберите, что будет с действующими договорами поставщика."}
    if contracts == ContractsOnExclusion.RUN_TO_END:
        if terminate_on is not None:
            return {
                "terminate_on": "Дата нужна, только если договоры расторгаются; "
                "иначе оставьте поле пустым."
            }
        return {}
    if terminate_on is None:
        return {"terminate_on": "Укажите дату расторжения договоров."}
    today = clock.today()
    if terminate_on < today:
        return {
            "terminate_on": f"Дата расторжения не может быть в прошлом: выберите "
            f"{today:%d.%m.%Y} или позже."
        }
    return {}


@atomic_retry
def exclude(
    *,
    actor,
    provider: Provider,
    reason: str,
    contracts: str,
    terminate_on: dt.date | None = None,
) -> Provider:
    """Out of the registry: no new enrolments, confirmations, offers or acceptances at once.

    The operator decides on the running contracts: they run to their end (`run_to_end`) or
    are terminated, `terminate_on` being their last day (today or later). Enrolment's handler
    of `provider_excluded` ends pending applications and open offers, terminates today's
    contracts and tells the families; later dates are carried out by its daily job.
    """
    excluded = _decide(
        actor=actor,
        provider=provider,
        move="exclude",
        reason=reason,
        errors=exclusion_errors(contracts, terminate_on),
        changes={
            "contracts_terminate_on": (
                terminate_on if contracts == ContractsOnExclusion.TERMINATE else None
            )
        },
    )
    provider_excluded.send(actor=actor, provider=excluded, reason=excluded.status_reason)
    return excluded


def enrolment_refusal(provider: Provider) -> ProviderNotActive | None:
    """Why the provider takes no enrolment step now (not active in the registry), or None."""
    if provider.status != Status.ACTIVE:
        return ProviderNotActive(
            f"«{provider.short_name}» сейчас не принимает новых зачислений: "
            f"поставщик {provider.get_status_display()}."
        )
    return None


def ensure_accepts_enrolments(provider: Provider) -> None:
    """Raise `ProviderNotActive` unless the provider is in the registry (status active)."""
    if refusal := enrolment_refusal(provider):
        raise refusal
