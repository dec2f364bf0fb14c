"""The timed job: undecided applications and unaccepted offers expire, finished contracts
complete."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from pfdo.audit import services as audit
from pfdo.common import clock
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import Application, ContinuationOffer, Contract
from pfdo.enrolment.services import endings
from pfdo.enrolment.services._common import (
    Status,
    _contract_link,
    _lock_application,
    _lock_contract,
    _notify_parent,
)
from pfdo.enrolment.services.contracts import _end_offer
from pfdo.enrolment.services.termination import _complete_locked
from pfdo.enrolment.services.waitlist import _end_application
from pfdo.financing.models import FinancingPeriod

# Applications that wait for someone's decision until `decide_by`.
UNDECIDED = (Status.NEW, Status.AWAITING_PARENT)


@dataclass(frozen=True)
class JobResult:
    applications_expired: int
    offers_expired: int
    contracts_completed: int
    # Contracts of excluded providers terminated on the operator's date.
    contracts_terminated: int = 0


def run_deadlines(
    *, now: dt.datetime | None = None, municipality_id: int | None = None
) -> JobResult:
    """Expire undecided applications and unaccepted offers; terminate the contracts of
    excluded providers whose termination date has come; complete finished contracts (of one
    municipality if given, e.g. at its period close).

    Each item in its own transaction, so one failure does not block the rest and a re-run
    after a crash finds only what is left.
    """
    now = now or clock.now()
    where = {"municipality_id": municipality_id} if municipality_id else {}
    expired_apps = 0
    for pk in Application.objects.filter(
        status__in=UNDECIDED, decide_by__lt=now, **where
    ).values_list("pk", flat=True):
        expired_apps += _expire_application(pk, now)
    expired_offers = 0
    for pk in Contract.objects.filter(
        status=Contract.Status.OFFERED, offer_expires_at__lt=now, **where
    ).values_list("pk", flat=True):
        expired_offers += _expire_offer(pk, now)
    for pk in ContinuationOffer.objects.filter(
        status=ContinuationOffer.Status.OFFERED,
        expires_at__lt=now,
        **({"contract__municipality_id": municipality_id} if municipality_id else {}),
    ).values_list("pk", flat=True):
        expired_offers += expire_continuation(pk, now)
    today = timezone.localdate(now)
    # Before completions: a contract terminated on the operator's date is not completed.
    terminated = endings.terminate_excluded_contracts(today=today, municipality_id=municipality_id)
    completed = 0
    # A contract that ends only because its period does, while its group goes on, waits for
    # the period close: it may continue against the next period's nominal.
    awaiting_close = Exists(
        FinancingPeriod.objects.filter(
            municipality_id=OuterRef("municipality_id"), ends_on=OuterRef("ends_on")
        ).exclude(status=FinancingPeriod.Status.CLOSED)
    )
    ended = (
        Contract.objects.filter(status=Contract.Status.ACTIVE, ends_on__lt=today, **where)
        .exclude(Q(group__ends_on__gt=F("ends_on")) & awaiting_close)
        # A continuation offer keeps the place until the family answers or it lapses.
        .exclude(continuations__status=ContinuationOffer.Status.OFFERED)
        .values_list("pk", flat=True)
    )
    for pk in ended:
        completed += _complete(pk, today)
    return JobResult(expired_apps, expired_offers, completed, terminated)


@atomic_retry
def _expire_application(pk: int, now: dt.datetime) -> int:
    certificate, application = _lock_application(pk)
    if application.status not in UNDECIDED or application.decide_by >= now:
        return 0
    why = (
        "поставщик не принял решение в срок"
        if application.status == Status.NEW
        else "родитель не подтвердил запись в срок"
    )
    _end_application(None, application, application.expire, why, "enrolment.expired")
    _notify_parent(
        application, "Заявка истекла", f"{certificate.child.short_name}: заявка истекла — {why}."
    )
    return 1


@atomic_retry
def _expire_offer(pk: int, now: dt.datetime) -> int:
    certificate, contract = _lock_contract(pk)
    if contract.status != Contract.Status.OFFERED or contract.offer_expires_at >= now:
        return 0
    _end_offer(
        None, contract, contract.expire, contract.application.expire, "enrolment.offer_expired"
    )
    _notify_parent(
        contract.application,
        f"Срок принятия договора № {contract.number} истёк",
        f"{certificate.child.short_name}: договор не принят в срок, место передано следующему.",
    )
    return 1


@atomic_retry
def _complete(pk: int, today: dt.date) -> int:
    certificate, contract = _lock_contract(pk)
    if contract.status != Contract.Status.ACTIVE or contract.ends_on >= today:
        return 0
    _complete_locked(certificate, contract)
    return 1


def _end_at_boundary(actor, offer: ContinuationOffer, contract: Contract, action: str) -> None:
    """A continuation not taken: the contract ends on its last day in the closed period and
    its place is released."""
    audit.record(
        actor=actor,
        action=action,
        obj=contract,
        municipality=contract.municipality,
        details={"period": offer.period_id},
    )
    _complete(contract.pk, max(clock.today(), contract.ends_on + dt.timedelta(days=1)))


@atomic_retry
def expire_continuation(pk: int, now: dt.datetime) -> int:
    """A continuation offer past its deadline: expired, the contract ends at the boundary."""
    contract_id = ContinuationOffer.objects.filter(pk=pk).values_list("contract_id", flat=True)[0]
    _, contract = _lock_contract(contract_id)
    locked = ContinuationOffer.objects.select_for_update(of=("self",)).get(pk=pk)
    if locked.status != ContinuationOffer.Status.OFFERED or locked.expires_at >= now:
        return 0
    locked.expire()
    locked.save(update_fields=["status", "decided_at"])
    _notify_parent(
        contract.application,
        f"Договор № {contract.number}: согласие на продолжение не получено",
        "Согласие на продолжение договора на новых условиях не получено в срок: договор "
        f"завершается {contract.ends_on:%d.%m.%Y}, место освобождается.",
        link=_contract_link(contract),
    )
    _end_at_boundary(None, locked, contract, "enrolment.continuation_expired")
    return 1
