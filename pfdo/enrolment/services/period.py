"""At a period close: a contract whose group goes on continues against the next period —
at once with a notice when the family's share does not get worse, otherwise on the family's
acceptance of a continuation offer (the place kept until its deadline)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pfdo.audit import services as audit
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.authz import authorize
from pfdo.common.errors import Conflict, NotFound
from pfdo.common.money import format_kopecks
from pfdo.common.months import months_between
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import ContinuationOffer, Contract, ContractMonth
from pfdo.enrolment.services._common import _contract_link, _lock_contract, _notify_parent
from pfdo.enrolment.services.deadlines import _end_at_boundary
from pfdo.enrolment.services.earmark import continuation_earmark
from pfdo.enrolment.services.offers import _reserve
from pfdo.enrolment.services.preconditions import _split
from pfdo.financing import services as financing
from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import Provider

CONTINUATION_NOT_FOUND = "Предложение продолжить договор не найдено."
CONTINUED = "continued"
OFFERED = "offered"


def _worse(*, copay: int, months: int, old_copay: int, old_months: int) -> bool:
    """The family's co-payment per month grows (or appears): new/months > old/old_months."""
    return copay * max(old_months, 1) > old_copay * months


def _extend(
    actor,
    certificate: Certificate,
    contract: Contract,
    period: FinancingPeriod,
    *,
    end: dt.date,
    months: list[dt.date],
    price: int,
    normative: int,
    certificate_months: list[int],
    copay_months: list[int],
) -> int:
    """Add the months of `period` to the contract and reserve their certificate part there."""
    rows = ContractMonth.objects.bulk_create(
        [
            ContractMonth(contract=contract, month=m, certificate_kopecks=c, copay_kopecks=p)
            for m, c, p in zip(months, certificate_months, copay_months, strict=True)
        ]
    )
    part, copay = sum(certificate_months), sum(copay_months)
    if part > 0:
        _reserve(
            certificate,
            contract,
            list(ContractMonth.objects.filter(pk__in=[r.pk for r in rows])),
            period,
        )
    financing.mark_commitments_started(actor=actor, period=period)
    contract.ends_on = end
    contract.price_kopecks += price
    contract.normative_kopecks += normative
    contract.certificate_kopecks += part
    contract.copay_kopecks += copay
    contract.save(
        update_fields=[
            "ends_on",
            "price_kopecks",
            "normative_kopecks",
            "certificate_kopecks",
            "copay_kopecks",
        ]
    )
    audit.record(
        actor=actor,
        action="enrolment.contract_continued",
        obj=contract,
        municipality=contract.municipality,
        details={"period": period.pk, "reserved_kopecks": part, "copay_kopecks": copay},
    )
    return part


@atomic_retry
def continue_contract(*, actor, contract_id: int, period: FinancingPeriod) -> str:
    """At a period close: a contract whose group goes on continues in `period` (the next one).

    Its remaining months in that period are priced like a new contract (price and normative
    cost by months, certificate part up to the next period's available balance less what the
    certificate's earlier continuations were offered, the rest a co-payment). When the
    family's co-payment per month does not grow, the months are added and reserved at once
    and the family is told (returns "continued"); otherwise the family gets a continuation
    offer to accept by the period's `offer_days` (returns "offered"). "" if there is nothing
    to do (already continued or offered, or nothing left to continue).
    """
    certificate, contract = _lock_contract(contract_id)
    group = contract.group
    if (
        contract.status != Contract.Status.ACTIVE
        or contract.ends_on >= period.starts_on
        or group.ends_on is None
        or group.ends_on <= contract.ends_on
        or certificate.status != Certificate.Status.ACTIVE
        # An excluded provider's contracts run to their end, not into another period.
        or contract.provider.status == Provider.Status.EXCLUDED
        or contract.continuations.filter(period=period).exists()
    ):
        return ""
    start = max(period.starts_on, contract.ends_on + dt.timedelta(days=1))
    end = min(group.ends_on, period.ends_on)
    if end < start:
        return ""
    months = months_between(start, end)
    budget = contract.funding == Contract.Funding.BUDGET
    available = 0
    if not budget:
        balance = certificate_selectors.balance(certificate, period).available_kopecks
        # The certificate's continuations offered before this one keep their money.
        available = max(balance - continuation_earmark(certificate, period, offered_only=True), 0)
    split = _split(group, len(months), budget=budget, available_kopecks=available)
    old_months = contract.months.count()
    if _worse(
        copay=split.copay_kopecks,
        months=len(months),
        old_copay=contract.copay_kopecks,
        old_months=old_months,
    ):
        return _offer_continuation(
            actor,
            certificate,
            contract,
            period,
            start=start,
            end=end,
            split=split,
            old_months=old_months,
        )
    part = _extend(
        actor,
        certificate,
        contract,
        period,
        end=end,
        months=months,
        price=split.price_kopecks,
        normative=split.normative_kopecks,
        certificate_months=list(split.certificate_months),
        copay_months=list(split.copay_months),
    )
    copay = split.copay_kopecks
    _notify_parent(
        contract.application,
        f"Договор № {contract.number} продолжается в новом периоде",
        f"{certificate.child.short_name}: обучение продолжается до {end:%d.%m.%Y}. Из номинала "
        f"«{period.name}» зарезервировано {format_kopecks(part)}"
        + (f", доплата семьи — {format_kopecks(copay)}." if copay else "."),
        link=_contract_link(contract),
    )
    return CONTINUED


def _offer_continuation(
    actor, certificate, contract, period, *, start, end, split, old_months
) -> str:
    expires_at = clock.now() + dt.timedelta(days=period.offer_days)
    offer = ContinuationOffer.objects.create(
        contract=contract,
        period=period,
        starts_on=start,
        ends_on=end,
        price_kopecks=split.price_kopecks,
        normative_kopecks=split.normative_kopecks,
        certificate_kopecks=split.certificate_kopecks,
        copay_kopecks=split.copay_kopecks,
        previous_copay_kopecks=contract.copay_kopecks,
        previous_months=old_months,
        certificate_months=list(split.certificate_months),
        copay_months=list(split.copay_months),
        expires_at=expires_at,
    )
    audit.record(
        actor=actor,
        action="enrolment.continuation_offered",
        obj=contract,
        municipality=contract.municipality,
        details={
            "period": period.pk,
            "certificate_kopecks": offer.certificate_kopecks,
            "copay_kopecks": offer.copay_kopecks,
        },
    )
    _notify_parent(
        contract.application,
        f"Договор № {contract.number}: продолжение на новых условиях — нужно ваше согласие",
        f"{certificate.child.short_name}: группа занимается до {end:%d.%m.%Y}. В периоде "
        f"«{period.name}» сертификат оплатит {format_kopecks(offer.certificate_kopecks)}, "
        f"доплата семьи — {format_kopecks(offer.copay_kopecks)} за {offer.months_count} мес. "
        f"(до сих пор — {format_kopecks(offer.previous_copay_kopecks)} за {old_months} мес.). "
        f"Примите продолжение до {timezone.localtime(expires_at):%d.%m.%Y %H:%M}; место за "
        "ребёнком сохраняется. Если отказаться или не ответить, договор завершится "
        f"{contract.ends_on:%d.%m.%Y}.",
        link=_contract_link(contract),
    )
    return OFFERED


def continuation_refusal(offer: ContinuationOffer) -> Conflict | None:
    """Why the family cannot answer this continuation offer now (None: it can)."""
    if offer.status != ContinuationOffer.Status.OFFERED:
        return Conflict(
            f"Предложение уже {offer.get_status_display()}.", code="continuation_decided"
        )
    if offer.expires_at < clock.now():
        return Conflict("Срок согласия на продолжение истёк.", code="continuation_expired")
    if offer.contract.status != Contract.Status.ACTIVE:
        return Conflict("Договор уже не действует.", code="contract_not_active")
    return None


def _lock_offer(offer: ContinuationOffer, actor) -> tuple[Certificate, Contract, ContinuationOffer]:
    contract_id = (
        ContinuationOffer.objects.filter(pk=offer.pk).values_list("contract_id", flat=True).first()
    )
    if contract_id is None:
        raise NotFound(CONTINUATION_NOT_FOUND)
    certificate, contract = _lock_contract(contract_id)
    authorize(actor, "enrolment.accept", contract, hide=True, message=CONTINUATION_NOT_FOUND)
    locked = (
        ContinuationOffer.objects.select_for_update(of=("self",))
        .select_related("period")
        .get(pk=offer.pk)
    )
    locked.contract = contract
    return certificate, contract, locked


@atomic_retry
def accept_continuation(*, actor, offer: ContinuationOffer) -> ContinuationOffer:
    """The family agrees to the new terms: the months are added and reserved as offered."""
    certificate, contract, locked = _lock_offer(offer, actor)
    if refusal := continuation_refusal(locked):
        raise refusal
    if certificate.status != Certificate.Status.ACTIVE:
        raise Conflict(
            f"Сертификат {certificate.get_status_display()}.", code="certificate_not_active"
        )
    _extend(
        actor,
        certificate,
        contract,
        locked.period,
        end=locked.ends_on,
        months=months_between(locked.starts_on, locked.ends_on),
        price=locked.price_kopecks,
        normative=locked.normative_kopecks,
        certificate_months=list(locked.certificate_months),
        copay_months=list(locked.copay_months),
    )
    locked.accept()
    locked.save(update_fields=["status", "decided_at"])
    _notify_parent(
        contract.application,
        f"Договор № {contract.number} продолжается в новом периоде",
        f"{certificate.child.short_name}: вы приняли продолжение до {locked.ends_on:%d.%m.%Y}. "
        f"Зарезервировано {format_kopecks(locked.certificate_kopecks)}, доплата семьи — "
        f"{format_kopecks(locked.copay_kopecks)}.",
        link=_contract_link(contract),
    )
    return locked


@atomic_retry
def decline_continuation(*, actor, offer: ContinuationOffer) -> ContinuationOffer:
    """The family declines the new terms: the contract ends at the boundary."""
    _, contract, locked = _lock_offer(offer, actor)
    if refusal := continuation_refusal(locked):
        raise refusal
    locked.decline()
    locked.save(update_fields=["status", "decided_at"])
    _end_at_boundary(actor, locked, contract, "enrolment.continuation_declined")
    return locked
