"""An application becomes a contract offer; an accepted offer reserves the certificate's
part month by month in the ledger."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from pfdo.audit import services as audit
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.authz import authorize
from pfdo.common.errors import Conflict, DomainError
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_label
from pfdo.enrolment.models import Application, Contract, ContractMonth
from pfdo.enrolment.services import steps
from pfdo.enrolment.services._common import (
    _contract_link,
    _load_group,
    _notify_parent,
    _refuse,
    _save_status,
)
from pfdo.enrolment.services.preconditions import Terms, _refuse_if_frozen, compute_terms
from pfdo.financing import services as financing
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import selectors as ledger_selectors
from pfdo.ledger import services as ledger


def reserve_key(contract_id: int, month: dt.date) -> str:
    """The idempotency key of a contract month's reservation in the ledger."""
    return f"reserve:k{contract_id}:{month:%Y-%m}"


def contract_number(period_start: dt.date, contract_id: int) -> str:
    """A contract's number: the period's year and the contract's id in six digits."""
    return f"{period_start:%Y}-{contract_id:06d}"


def reservation_description(number: str, month: dt.date) -> str:
    """The text of a contract month's reservation, as the family's statement shows it."""
    return f"Резерв по договору № {number} за {month_label(month)}"


def _offer(actor, certificate: Certificate, application: Application) -> Contract:
    """Turn an application holding a place into a contract offer (terms computed now)."""
    group = _load_group(application.group_id)
    terms = compute_terms(certificate=certificate, group=group)
    _refuse_if_frozen(terms.period, clock.today())
    now = clock.now()
    contract = Contract.objects.create(
        application=application,
        child_id=application.child_id,
        certificate=certificate,
        group=group,
        provider_id=application.provider_id,
        municipality_id=application.municipality_id,
        period=terms.period,
        parent=application.parent,
        funding=terms.funding,
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        price_kopecks=terms.price_kopecks,
        normative_kopecks=terms.normative_kopecks,
        certificate_kopecks=terms.certificate_kopecks,
        copay_kopecks=terms.copay_kopecks,
        offered_at=now,
        offer_expires_at=now + dt.timedelta(days=terms.period.offer_days),
    )
    contract.number = contract_number(terms.period.starts_on, contract.pk)
    contract.save(update_fields=["number"])
    _create_months(contract, terms)
    application.offer()
    _save_status(application)
    audit.record(
        actor=actor,
        action="enrolment.contract_offered",
        obj=contract,
        municipality=application.municipality,
        details={
            "price_kopecks": contract.price_kopecks,
            "certificate_kopecks": contract.certificate_kopecks,
            "copay_kopecks": contract.copay_kopecks,
        },
    )
    _notify_parent(
        application,
        f"Предложен договор № {contract.number}",
        f"{certificate.child.short_name}: «{application.provider.short_name}» предлагает договор "
        f"с {contract.starts_on:%d.%m.%Y} по {contract.ends_on:%d.%m.%Y}. Сертификат оплатит "
        f"{format_kopecks(contract.certificate_kopecks)}, доплата семьи — "
        f"{format_kopecks(contract.copay_kopecks)}. Примите договор до "
        f"{timezone.localtime(contract.offer_expires_at):%d.%m.%Y %H:%M}; суммы "
        "пересчитываются на день принятия (с этого дня и начинается договор).",
        link=_contract_link(contract),
    )
    return contract


def _create_months(contract: Contract, terms: Terms) -> list[ContractMonth]:
    return ContractMonth.objects.bulk_create(
        [
            ContractMonth(contract=contract, month=m, certificate_kopecks=c, copay_kopecks=p)
            for m, c, p in zip(
                terms.months, terms.certificate_months, terms.copay_months, strict=True
            )
        ]
    )


def _terms_at_acceptance(certificate: Certificate, contract: Contract, today: dt.date) -> Terms:
    """The terms the offer would be accepted on today, or the refusal: a contract starts no
    earlier than its acceptance, ends no later than the certificate is valid, and its money is
    split by the balance of the day (domain.md §4)."""
    if refusal := steps.accept_refusal(contract):
        raise refusal
    if certificate.status != Certificate.Status.ACTIVE:
        raise _refuse("certificate_not_active", f"Сертификат {certificate.get_status_display()}.")
    terms = compute_terms(
        certificate=certificate, group=_load_group(contract.group_id), today=today
    )
    _refuse_if_frozen(terms.period, today)
    return terms


@dataclass(frozen=True)
class AcceptanceTerms:
    """What accepting the offer now would give (`terms`), or why it cannot be (`refusal`);
    `offered_copay_kopecks` is the family's share the offer showed."""

    terms: Terms | None
    refusal: str
    offered_copay_kopecks: int

    @property
    def copay_changed(self) -> bool:
        return self.terms is not None and self.terms.copay_kopecks != self.offered_copay_kopecks


def acceptance_terms(*, actor, contract: Contract) -> AcceptanceTerms:
    """The terms of `contract` if the parent accepted it now (nothing is locked or written):
    the accept page shows them and posts back the co-payment it showed."""
    authorize(actor, "enrolment.accept", contract, hide=True, message="Договор не найден.")
    certificate = Certificate.objects.select_related("child", "municipality").get(
        pk=contract.certificate_id
    )
    try:
        terms = _terms_at_acceptance(certificate, contract, clock.today())
    except DomainError as exc:
        return AcceptanceTerms(None, exc.message, contract.copay_kopecks)
    return AcceptanceTerms(terms, "", contract.copay_kopecks)


def _terms_changed(contract: Contract, terms: Terms, agreed_kopecks: int) -> Conflict:
    new = format_kopecks(terms.copay_kopecks)
    return Conflict(
        f"Условия договора № {contract.number} изменились: при принятии сегодня сертификат "
        f"оплатит {format_kopecks(terms.certificate_kopecks)}, доплата семьи — {new} (вы "
        f"соглашались на {format_kopecks(agreed_kopecks)}). Срок — с "
        f"{terms.starts_on:%d.%m.%Y} по {terms.ends_on:%d.%m.%Y}. Проверьте новые условия и "
        "примите договор ещё раз, если согласны.",
        code="terms_changed",
        fields={
            "copay_kopecks": (
                f"Доплата семьи при принятии сейчас — {new} ({terms.copay_kopecks} коп.), "
                f"сертификат оплатит {format_kopecks(terms.certificate_kopecks)} "
                f"({terms.certificate_kopecks} коп.)."
            )
        },
    )


def _apply_terms(contract: Contract, terms: Terms) -> list[ContractMonth]:
    """The contract takes the terms of its acceptance day; its months are rebuilt (nothing
    is reserved on an offer, so the old rows carry no money)."""
    contract.period = terms.period
    contract.funding = terms.funding
    contract.starts_on = terms.starts_on
    contract.ends_on = terms.ends_on
    contract.price_kopecks = terms.price_kopecks
    contract.normative_kopecks = terms.normative_kopecks
    contract.certificate_kopecks = terms.certificate_kopecks
    contract.copay_kopecks = terms.copay_kopecks
    contract.months.all().delete()
    return _create_months(contract, terms)


def _accept_locked(
    actor,
    certificate: Certificate,
    contract: Contract,
    *,
    agreed_copay_kopecks: int | None = None,
) -> Contract:
    """The offer becomes the contract on the terms of the acceptance day: recompute, check
    the family agreed to its share, reserve, mark the period's commitments started.

    `agreed_copay_kopecks` is the co-payment the parent saw and agreed to; None means the
    one of the offer (a caller that shows nothing new)."""
    today = clock.today()
    terms = _terms_at_acceptance(certificate, contract, today)
    offered = {
        "starts_on": contract.starts_on.isoformat(),
        "certificate_kopecks": contract.certificate_kopecks,
        "copay_kopecks": contract.copay_kopecks,
    }
    agreed = contract.copay_kopecks if agreed_copay_kopecks is None else agreed_copay_kopecks
    if terms.copay_kopecks != agreed:
        raise _terms_changed(contract, terms, agreed)
    if terms.funding == Contract.Funding.CERTIFICATE and terms.period.starts_on > today:
        # Enrolment for the next period: its nominal is granted now, once (the period's own
        # grant later skips this certificate).
        certificate_services.grant_nominal_ahead(
            actor=actor, certificate=certificate, period=terms.period
        )
    months = _apply_terms(contract, terms)
    if contract.certificate_kopecks > 0:
        _reserve(certificate, contract, months)
    financing.mark_commitments_started(actor=actor, period=contract.period)
    contract.accept()
    contract.save(
        update_fields=[
            "status",
            "accepted_at",
            "period",
            "funding",
            "starts_on",
            "ends_on",
            "price_kopecks",
            "normative_kopecks",
            "certificate_kopecks",
            "copay_kopecks",
        ]
    )
    contract.application.enrol()
    _save_status(contract.application)
    audit.record(
        actor=actor,
        action="enrolment.contract_accepted",
        obj=contract,
        municipality=contract.municipality,
        details={
            "reserved_kopecks": contract.certificate_kopecks,
            "copay_kopecks": contract.copay_kopecks,
            "starts_on": contract.starts_on.isoformat(),
            "offered": offered,
        },
    )
    copay = (
        f" Доплата семьи — {format_kopecks(contract.copay_kopecks)}."
        if contract.copay_kopecks
        else ""
    )
    reserved = (
        f"На сертификате зарезервировано {format_kopecks(contract.certificate_kopecks)} "
        f"помесячно до {contract.ends_on:%d.%m.%Y}."
        if contract.certificate_kopecks
        else "Деньги сертификата не расходуются."
    )
    _notify_parent(
        contract.application,
        f"Договор № {contract.number} заключён",
        f"{certificate.child.short_name}: договор заключён, обучение с "
        f"{contract.starts_on:%d.%m.%Y} по {contract.ends_on:%d.%m.%Y}. {reserved}{copay}",
        link=_contract_link(contract),
    )
    return contract


def _reserve(
    certificate: Certificate,
    contract: Contract,
    months: list[ContractMonth],
    period: FinancingPeriod | None = None,
) -> None:
    """One pending transfer per month from the certificate to the provider's payable, in the
    accounts of `period` (the contract's own by default; the next one for continued months)."""
    period = period or contract.period
    source = certificate_services.certificate_account(certificate, period)
    payable = ledger.get_account(
        kind=ledger_selectors.AccountKind.PROVIDER,
        municipality=contract.municipality,
        period=period,
        holder_id=contract.provider_id,
    )
    entries = [
        ledger.Entry(
            key=reserve_key(contract.pk, m.month),
            kind=ledger_selectors.Kind.RESERVE,
            debit_id=source.pk,
            credit_id=payable.pk,
            amount_kopecks=m.certificate_kopecks,
            description=reservation_description(contract.number, m.month),
            ref_type="contract",
            ref_id=contract.pk,
        )
        for m in months
        if m.certificate_kopecks > 0
    ]
    try:
        ledger.post_many(entries, pending=True)
    except ledger.InsufficientFunds as exc:
        available = certificate_selectors.balance(certificate, period).available_kopecks
        raise Conflict(
            f"На сертификате недостаточно средств: доступно {format_kopecks(available)}, "
            f"договор требует {format_kopecks(contract.certificate_kopecks)}.",
            code="insufficient_funds",
        ) from exc
    ids = ledger_selectors.transfer_ids_by_key(e.key for e in entries)
    for m in months:
        key = reserve_key(contract.pk, m.month)
        if key in ids:
            ContractMonth.objects.filter(pk=m.pk).update(reservation_id=ids[key])
