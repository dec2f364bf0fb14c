"""The start of a financing period: its financing places and nominals, in a stated order.

The order (decisions.md, issue 12): certificates that were financing before the period, by
their issue (`issued_at`, then id), up to the period's quota and within its budget; then the
waiting switch requests, oldest first. A financing certificate that gets no place becomes an
accounting certificate with the reason, and a switch request puts it in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse

from pfdo.accounts import services as accounts
from pfdo.audit import services as audit
from pfdo.certificates import selectors
from pfdo.certificates.models import Certificate, SwitchRequest
from pfdo.certificates.services._common import _ensure_manager
from pfdo.certificates.services.nominals import (
    _budget_left,
    _grant_batch,
    fund_period,
    nominal_amount,
)
from pfdo.certificates.services.switching import fulfil_switch_requests
from pfdo.common import clock
from pfdo.common.errors import Conflict, DomainError
from pfdo.common.money import format_kopecks
from pfdo.common.transactions import atomic_retry
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import current_period
from pfdo.ledger.selectors import granted_holder_ids
from pfdo.territory.models import Municipality


@dataclass
class _Plan:
    funded: list[Certificate]
    unfunded: list[tuple[Certificate, str]]


def _plan(period: FinancingPeriod, budget_left: int) -> _Plan:
    """Who of the live financing certificates not yet granted gets a place, in order."""
    places = selectors.financing_places(period)
    used = places.filter(pk__in=granted_holder_ids(period)).count()
    plan = _Plan(funded=[], unfunded=[])
    candidates = (
        places.exclude(pk__in=granted_holder_ids(period))
        .select_related("child")
        .order_by("issued_at", "pk")
    )
    for certificate in candidates.iterator(chunk_size=2000):
        amount, _ = nominal_amount(period, certificate.child, period.starts_on)
        if used >= period.certificate_quota:
            plan.unfunded.append(
                (
                    certificate,
                    f"Сертификат учёта: квота периода «{period.name}» "
                    f"({period.certificate_quota}) заполнена сертификатами, выданными раньше. "
                    "Запрос на перевод в сертификат финансирования поставлен в очередь.",
                )
            )
            continue
        if amount > budget_left:
            plan.unfunded.append(
                (
                    certificate,
                    f"Сертификат учёта: бюджета периода «{period.name}» не хватило на номинал "
                    f"(осталось {format_kopecks(budget_left)}). Запрос на перевод в "
                    "сертификат финансирования поставлен в очередь.",
                )
            )
            continue
        used += 1
        budget_left -= max(amount, 0)
        plan.funded.append(certificate)
    return plan


def _to_accounting(actor, certificate: Certificate, reason: str, period: FinancingPeriod) -> None:
    """No place in the period: accounting certificate, the reason kept, a switch request
    queued (once), the family told."""
    certificate = Certificate.objects.select_for_update(of=("self",)).get(pk=certificate.pk)
    if certificate.type != Certificate.Type.FINANCING:
        return
    certificate.type = Certificate.Type.ACCOUNTING
    certificate.type_reason = reason[:300]
    certificate.save(update_fields=["type", "type_reason"])
    if not certificate.switch_requests.filter(status=SwitchRequest.Status.WAITING).exists():
        try:
            with transaction.atomic():
                SwitchRequest.objects.create(
                    certificate=certificate,
                    municipality=certificate.municipality,
                    reason=f"Не хватило места в периоде «{period.name}»"[:300],
                )
        except IntegrityError:
            pass  # a request already waits (the one-waiting-request constraint)
    audit.record(
        actor=actor,
        action="certificates.left_without_place",
        obj=certificate,
        municipality=certificate.municipality,
        details={"period": period.pk, "reason": certificate.type_reason},
    )
    for guardian in certificate.child.guardians.all():
        accounts.notify(
            user=guardian,
            subject=f"Сертификат № {certificate.number}: сертификат учёта в новом периоде",
            body=f"{certificate.child.short_name}: {certificate.type_reason} Когда место "
            "освободится, сертификат переведут в сертификат финансирования и начислят номинал.",
            link=reverse("family:certificate", args=[certificate.pk]),
        )


@atomic_retry
def grant_period_nominals(*, actor, period: FinancingPeriod, batch_size: int = 2000) -> int:
    """Fund the period's financing places in the stated order (module docstring), once.

    Keys are `grant:p<period>:c<certificate>`, so a repeated run grants nothing more. Before
    the period starts, certificates beyond the quota or the budget are left as they are (they
    still serve the running period); from its start they become accounting certificates with
    a queued switch request. The run never fails for want of places or money. Returns how
    many grants this run made.
    """
    if actor is not None:
        _ensure_manager(actor, period.municipality)
    period = FinancingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.status != FinancingPeriod.Status.APPROVED:
        raise Conflict("Номиналы начисляются только в утверждённом периоде.")
    budget = fund_period(actor=actor, period=period)
    plan = _plan(period, _budget_left(period))
    made = 0
    for start in range(0, len(plan.funded), batch_size):
        made += _grant_batch(period, budget, plan.funded[start : start + batch_size])
    today = clock.today()
    started = period.starts_on <= today
    if started:
        for certificate, reason in plan.unfunded:
            _to_accounting(actor, certificate, reason, period)
    if started and today <= period.ends_on:
        # The period has begun: switch requests filed while no period ran get their places.
        fulfil_switch_requests(actor=actor, municipality=period.municipality)
    audit.record(
        actor=actor,
        action="certificates.period_nominals_granted",
        obj=period,
        municipality=period.municipality,
        details={
            "granted": made,
            "without_place": len(plan.unfunded) if started else 0,
            "deferred": 0 if started else len(plan.unfunded),
        },
    )
    return made


@dataclass(frozen=True)
class RunningGrant:
    """One municipality's part of the daily grant: its running period and the grants made, or
    why it made none (a short budget must not stop the others)."""

    municipality: object
    period: FinancingPeriod
    granted: int = 0
    error: str = ""


def grant_running_periods(today=None) -> list[RunningGrant]:
    """The daily job (celery beat, `manage.py grant_period_nominals --all`): every active
    municipality whose approved period is running today grants its nominals; a repeat grants
    nothing twice (grant_period_nominals is keyed)."""
    today = today or clock.today()
    done = []
    for place in Municipality.objects.filter(is_active=True).order_by("code"):
        running = current_period(place, today)
        if running is None:
            continue
        try:
            granted = grant_period_nominals(actor=None, period=running)
        except DomainError as exc:
            done.append(RunningGrant(place, running, error=exc.message))
            continue
        done.append(RunningGrant(place, running, granted=granted))
    return done
