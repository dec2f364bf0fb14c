"""The period close: contracts whose group goes on continue into the next period, the rest
complete, and every certificate's unreserved money lapses to the budget."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F

from pfdo.audit import services as audit
from pfdo.billing import checks as billing_checks
from pfdo.billing.models import PeriodClosing
from pfdo.billing.services._common import _lapse
from pfdo.certificates import services as certificate_services
from pfdo.common import clock
from pfdo.common.authz import authorize
from pfdo.common.errors import Conflict
from pfdo.common.months import month_label
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.models import ContinuationOffer, Contract
from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import Provider

__all__ = ["close_period", "close_refusal", "continuations_offered"]

ALREADY_CLOSED = "period_closed"
NEXT_PERIOD_NOT_APPROVED = "next_period_not_approved"


def _next_period_of(period: FinancingPeriod) -> FinancingPeriod | None:
    return (
        FinancingPeriod.objects.filter(
            municipality_id=period.municipality_id,
            status=FinancingPeriod.Status.APPROVED,
            starts_on__gt=period.ends_on,
        )
        .order_by("starts_on")
        .first()
    )


def close_refusal(
    period: FinancingPeriod, *, today: dt.date | None = None, closing: PeriodClosing | None = None
) -> Conflict | None:
    """Why closing the period now does nothing or is refused, or None if there is work to do.

    `closing` is the period's close so far (None: not started). A closed period whose close
    finished answers `period_closed`: `close_period` then returns that close unchanged.
    """
    if period.status == FinancingPeriod.Status.DRAFT:
        return Conflict("Период не утверждён: закрывать нечего.", code="period_draft")
    today = today or clock.today()
    if today <= period.ends_on:
        return Conflict(
            f"Период можно закрыть после его окончания ({period.ends_on:%d.%m.%Y}).",
            code="period_not_ended",
        )
    finished = closing is not None and closing.finished_at is not None
    if finished or (period.status == FinancingPeriod.Status.CLOSED and closing is None):
        return Conflict("Период уже закрыт.", code=ALREADY_CLOSED)
    if _next_period_of(period) is None:
        crossing = _crossing(period).count()
        if crossing:
            following = (
                FinancingPeriod.objects.filter(
                    municipality_id=period.municipality_id, starts_on__gt=period.ends_on
                )
                .order_by("starts_on")
                .first()
            )
            which = (
                f"следующий период «{following.name}» ещё не утверждён"
                if following is not None
                else "следующий период ещё не создан"
            )
            return Conflict(
                f"Закрытие подождёт: {crossing} договор(ов) продолжаются после "
                f"{period.ends_on:%d.%m.%Y} (группа занимается дальше), а {which}. Утвердите "
                "следующий период — договоры продолжатся за счёт его номинала; закрытие сейчас "
                "оборвало бы их на границе периода.",
                code=NEXT_PERIOD_NOT_APPROVED,
            )
    return _unbilled_refusal(period)


def _unbilled_refusal(period: FinancingPeriod) -> Conflict | None:
    """Reservations of the period's months whose invoice is accepted and that no
    supplementary invoice has taken would lapse with nobody billing them: the close waits
    until the providers (or the month run) bill them on a supplementary invoice."""
    stuck = billing_checks.stuck_rows(period.municipality_id).filter(
        month__gte=period.starts_on, month__lte=period.ends_on
    )
    count = stuck.count()
    if not count:
        return None
    months = sorted(set(stuck.values_list("month", flat=True)))
    return Conflict(
        f"Нельзя закрыть период: {count} мес. договоров зарезервированы, а счета за "
        f"{', '.join(month_label(m) for m in months)} уже приняты. Сформируйте дополнительные "
        "счета (расчёт месяца или кнопка поставщика) и примите их.",
        code="reservations_unbilled",
    )


def _crossing(period: FinancingPeriod):
    """Active contracts ending with the period while their group goes on past it, in the
    order they started (the order their continuations take the next period's nominal); an
    excluded provider's run to their end and are not continued."""
    return (
        Contract.objects.filter(
            municipality_id=period.municipality_id,
            status=Contract.Status.ACTIVE,
            ends_on__gte=period.starts_on,
            ends_on__lte=period.ends_on,
            group__ends_on__gt=F("ends_on"),
        )
        .exclude(provider__status=Provider.Status.EXCLUDED)
        .order_by("starts_on", "pk")
    )


def _continue_contracts(actor, period: FinancingPeriod, following) -> tuple[int, int]:
    """Contracts whose group goes on past the period continue in the next one, in the order
    they started: (continued at once, offered to the family on worse terms)."""
    if following is None:
        return 0, 0
    certificate_services.grant_period_nominals(actor=None, period=following)
    continued = offered = 0
    for pk in list(_crossing(period).values_list("pk", flat=True)):
        outcome = enrolment.continue_contract(actor=actor, contract_id=pk, period=following)
        continued += outcome == "continued"
        offered += outcome == "offered"
    return continued, offered


def close_period(*, actor, period: FinancingPeriod) -> PeriodClosing:
    """Close a period after its last day: contracts whose group goes on continue against the
    next period's nominal (their remaining months reserved there; on worse terms only with
    the family's acceptance of a continuation offer, the place kept meanwhile), the rest
    complete, and every certificate's unreserved money lapses to the budget. Refused
    (`next_period_not_approved`) while such contracts exist and no next period is approved.
    Re-runnable step by step."""
    if actor is not None:
        authorize(
            actor,
            "billing.close_period",
            period,
            message="Закрыть период может только оператор муниципалитета.",
        )
    period = FinancingPeriod.objects.select_related("municipality").get(pk=period.pk)
    today = clock.today()
    refusal = close_refusal(period, today=today)
    if refusal is not None and refusal.code != ALREADY_CLOSED:
        raise refusal
    closing, _ = PeriodClosing.objects.get_or_create(period=period, defaults={"closed_by": actor})
    if closing.finished_at is not None:
        return closing
    following = _next_period_of(period)
    closing.next_period = following
    continued, offered = _continue_contracts(actor, period, following)
    closing.continued_contracts += continued
    closing.save()  # a crash below keeps the count of what was continued
    with transaction.atomic():
        locked = FinancingPeriod.objects.select_for_update().get(pk=period.pk)
        if locked.status == FinancingPeriod.Status.APPROVED:
            locked.close()
            locked.save(update_fields=["status"])
    # Contracts the next period did not take over end with the period.
    closing.ended_contracts += enrolment.run_deadlines(
        municipality_id=period.municipality_id
    ).contracts_completed
    closing.save()  # a run again after a crash below finds them completed: keep the count
    count, total = _lapse(period)
    closing.lapsed_certificates += count
    closing.lapsed_kopecks += total
    closing.finished_at = clock.now()
    closing.save()
    audit.record(
        actor=actor,
        action="billing.period_closed",
        obj=period,
        municipality=period.municipality,
        details={
            "lapsed_kopecks": closing.lapsed_kopecks,
            "continued": closing.continued_contracts,
            "offered": offered,
            "ended": closing.ended_contracts,
        },
    )
    return closing


def continuations_offered(closing: PeriodClosing) -> int:
    """How many crossing contracts the close offered to continue on worse terms."""
    if closing.next_period_id is None:
        return 0
    return ContinuationOffer.objects.filter(
        period_id=closing.next_period_id, contract__period_id=closing.period_id
    ).count()
