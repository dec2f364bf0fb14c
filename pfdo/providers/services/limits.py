"""Enrolment limits: at most so many children of a financing period at a provider."""

from __future__ import annotations

from pfdo.audit import services as audit
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.transactions import atomic_retry
from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import EnrolmentLimit, Provider
from pfdo.providers.services._common import authorize, lock

MAX_ENROLMENT_LIMIT = 1_000_000
TOO_MANY = f"Не больше {MAX_ENROLMENT_LIMIT:,} детей.".replace(",", " ")
NO_SUCH_PERIOD = "Такого периода у муниципалитета поставщика нет."
NOT_APPROVED = "Лимит задаётся для утверждённой программы ПФ на период."


@atomic_retry
def set_enrolment_limit(
    *, actor, provider: Provider, period: FinancingPeriod, max_children: int | None
) -> EnrolmentLimit | None:
    """At most `max_children` children of the period at this provider; None removes the limit."""
    authorize(
        actor,
        "providers.set_enrolment_limit",
        provider,
        "Лимиты зачисления устанавливает оператор муниципалитета.",
    )
    provider = lock(provider)
    if period.municipality_id != provider.municipality_id:
        # The id names no period of the provider's municipality (400, as an unknown id).
        raise ValidationFailed(fields={"period": NO_SUCH_PERIOD})
    if period.status != FinancingPeriod.Status.APPROVED:
        # The period's status refuses the limit, not the value sent (409).
        raise Conflict(NOT_APPROVED, code="period_not_approved", fields={"period": NOT_APPROVED})
    if max_children is not None and (
        isinstance(max_children, bool) or not isinstance(max_children, int)
    ):
        raise ValidationFailed(fields={"max_children": "Укажите целое число детей."})
    if max_children is not None and max_children < 0:
        raise ValidationFailed(fields={"max_children": "Лимит не может быть отрицательным."})
    if max_children is not None and max_children > MAX_ENROLMENT_LIMIT:
        raise ValidationFailed(fields={"max_children": TOO_MANY})
    existing = EnrolmentLimit.objects.filter(provider=provider, period=period).first()
    previous = existing.max_children if existing else None
    if previous == max_children:
        return existing
    if max_children is None:
        existing.delete()
        limit = None
    elif existing is None:
        limit = EnrolmentLimit.objects.create(
            provider=provider, period=period, max_children=max_children
        )
    else:
        existing.max_children = max_children
        existing.save(update_fields=["max_children"])
        limit = existing
    audit.record(
        actor=actor,
        action="providers.enrolment_limit_set",
        obj=provider,
        municipality=provider.municipality,
        details={"period": period.pk, "max_children": max_children, "previous": previous},
    )
    return limit
