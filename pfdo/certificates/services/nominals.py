"""Certificate money: the financing place in the quota, the nominal, the grant from the budget."""

from __future__ import annotations

import datetime as dt

from pfdo.certificates import selectors
from pfdo.certificates.models import Certificate, Child
from pfdo.common.errors import Conflict
from pfdo.common.money import format_kopecks
from pfdo.common.months import months_touched
from pfdo.financing import services as financing
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import current_period, nominal_for
from pfdo.ledger import selectors as ledger_selectors
from pfdo.ledger import services as ledger
from pfdo.ledger.selectors import AccountKind, TransferKind


def _budget_left(period: FinancingPeriod) -> int:
    """What the period's budget can still grant: its account's available money plus any part
    of `budget_kopecks` not yet funded into it (funded on the next grant)."""
    funded, _ = ledger_selectors.period_funding(period)
    account = ledger_selectors.budget_account_of(period)
    available = account.available_kopecks if account is not None else 0
    return available + max(period.budget_kopecks - funded, 0)


def _financing_place(
    municipality, *, wants: bool, today: dt.date, child: Child | None = None, queued: bool = False
):
    """(locked period, reason) when a financing certificate may be issued, else (None, reason).

    A place is free while the certificates holding one in the running period are fewer than
    its quota and its budget still covers the child's nominal. A new applicant (`queued`
    False) gets a free place only when no switch request waits for it: freed places go to
    the queue first (domain.md §4).
    """
    if not wants:
        return (
            None,
            "Выдан сертификат учёта по заявлению родителя (нужны только бесплатные программы).",
        )
    period = current_period(municipality, today)
    if period is None:
        return None, (
            "Сертификат учёта: на сегодня нет утверждённой программы персонифицированного "
            "финансирования. Когда она начнётся, можно будет запросить перевод."
        )
    period = FinancingPeriod.objects.select_for_update().get(pk=period.pk)
    issued = selectors.financing_count(municipality, period)
    if issued >= period.certificate_quota:
        return None, (
            f"Сертификат учёта: квота сертификатов финансирования на период исчерпана "
            f"(выдано {issued} из {period.certificate_quota}). Когда место освободится, "
            "можно запросить перевод в сертификат финансирования."
        )
    if not queued and selectors.waiting_switches(municipality).exists():
        return None, (
            "Сертификат учёта: свободные места в квоте периода получают семьи, раньше "
            "запросившие перевод в сертификат финансирования. Запросите перевод — запрос "
            "встанет в очередь."
        )
    if child is not None:
        amount, _ = nominal_amount(period, child, today)
        if amount > _budget_left(period):
            return None, (
                f"Сертификат учёта: бюджета периода «{period.name}» не хватает на номинал. "
                "Когда бюджет увеличат или место освободится, можно запросить перевод."
            )
    return period, (f"Сертификат финансирования: есть место в квоте периода «{period.name}».")


def fund_key(period: FinancingPeriod, funded_kopecks: int, moves: int, target: int) -> str:
    """The idempotency key of a budget movement: the first funding keeps `fund:p<id>`; each
    amendment after it is keyed by how many movements came before and the new total, so a
    repeat of one amendment is a no-op and a later one never collides with it."""
    if moves == 0 and funded_kopecks == 0:
        return f"fund:p{period.pk}"
    return f"fund:p{period.pk}:n{moves}:t{target}"


def sync_period_budget(*, period: FinancingPeriod) -> int:
    """Bring the period's budget account to `budget_kopecks`: fund a raise from the
    municipality's appropriation, return a lowering to it. Returns the change in kopecks."""
    source = ledger.get_account(kind=AccountKind.SOURCE, municipality=period.municipality)
    budget = ledger.get_account(
        kind=AccountKind.BUDGET, municipality=period.municipality, period=period
    )
    funded, moves = ledger_selectors.period_funding(period)
    target = period.budget_kopecks
    if target == funded:
        return 0
    key = fund_key(period, funded, moves, target)
    if target > funded:
        ledger.transfer(
            key=key,
            kind=TransferKind.FUND,
            debit=source,
            credit=budget,
            amount_kopecks=target - funded,
            description=f"Бюджет периода «{period.name}»"
            + (f": увеличение до {format_kopecks(target)}" if moves else ""),
            ref_type="period",
            ref_id=period.pk,
        )
    else:
        ledger.transfer(
            key=key,
            kind=TransferKind.ADJUST,
            debit=budget,
            credit=source,
            amount_kopecks=funded - target,
            description=f"Бюджет периода «{period.name}»: уменьшение до {format_kopecks(target)}",
            ref_type="period",
            ref_id=period.pk,
        )
    return target - funded


def fund_period(*, actor, period: FinancingPeriod):
    """The period's budget account, funded up to `budget_kopecks` from the municipality's
    appropriation (keyed, so a repeat is a no-op), and the period's commitments marked
    started."""
    sync_period_budget(period=period)
    financing.mark_commitments_started(actor=actor, period=period)
    return ledger.get_account(
        kind=AccountKind.BUDGET, municipality=period.municipality, period=period
    )


def certificate_account(certificate: Certificate, period: FinancingPeriod):
    """The certificate's account in `period`, opened on first use."""
    return ledger.get_account(
        kind=AccountKind.CERTIFICATE,
        municipality=certificate.municipality,
        period=period,
        holder_id=certificate.pk,
    )


def nominal_amount(period: FinancingPeriod, child: Child, on: dt.date) -> tuple[int, str]:
    """(kopecks, explanation) of the nominal granted on `on`, scaled by months left if set."""
    category = nominal_for(
        period,
        age_months=child.age_months(max(on, period.starts_on)),
        has_disability=child.has_disability,
    )
    if category is None:
        return 0, "Нет категории номинала для возраста ребёнка."
    amount = category.nominal_kopecks
    note = f"номинал «{category.name}»"
    if period.scale_nominal_by_months and on > period.starts_on:
        total = months_touched(period.starts_on, period.ends_on)
        left = months_touched(on, period.ends_on)
        amount = amount * left // total
        note += f", пропорционально оставшимся месяцам ({left} из {total})"
    return amount, note


def grant_key(period_id: int, certificate_id: int) -> str:
    """The idempotency key of a certificate's nominal for a period."""
    return f"grant:p{period_id}:c{certificate_id}"


def grant_entry(
    *,
    period: FinancingPeriod,
    budget_id: int,
    account_id: int,
    certificate_id: int,
    amount_kopecks: int,
    note: str,
    at: dt.datetime | None = None,
) -> ledger.Entry:
    """The ledger entry granting a certificate its nominal from the period's budget."""
    return ledger.Entry(
        key=grant_key(period.pk, certificate_id),
        kind=TransferKind.GRANT,
        debit_id=budget_id,
        credit_id=account_id,
        amount_kopecks=amount_kopecks,
        description=f"Начисление на период «{period.name}»: {note}",
        ref_type="certificate",
        ref_id=certificate_id,
        at=at,
    )


def _grant(*, actor, certificate: Certificate, period: FinancingPeriod, on: dt.date) -> int:
    amount, note = nominal_amount(period, certificate.child, on)
    if amount <= 0:
        return 0
    budget = fund_period(actor=actor, period=period)
    account = certificate_account(certificate, period)
    try:
        entry = grant_entry(
            period=period,
            budget_id=budget.pk,
            account_id=account.pk,
            certificate_id=certificate.pk,
            amount_kopecks=amount,
            note=note,
        )
        ledger.transfer(
            key=entry.key,
            kind=entry.kind,
            debit=budget,
            credit=account,
            amount_kopecks=entry.amount_kopecks,
            description=entry.description,
            ref_type=entry.ref_type,
            ref_id=entry.ref_id,
        )
    except ledger.InsufficientFunds as exc:
        raise Conflict(
            "Бюджет периода исчерпан: номинал начислить нельзя. Увеличьте бюджет нового периода "
            "или выдайте сертификат учёта.",
            code="budget_exhausted",
        ) from exc
    return amount


def grant_nominal_ahead(*, actor, certificate: Certificate, period: FinancingPeriod) -> int:
    """Grant a live financing certificate its nominal of an approved `period` that has not
    begun yet (an enrolment accepted in August reserves from September's money).

    The amount is the nominal due on the period's first day and the key is the period grant's
    own (`grant:p<period>:c<certificate>`), so `grant_period_nominals` later grants this
    certificate nothing more and a repeat here is a no-op. Returns the kopecks granted now.
    """
    if (
        period.status != FinancingPeriod.Status.APPROVED
        or certificate.type != Certificate.Type.FINANCING
        or certificate.status not in Certificate.LIVE
        or certificate.valid_until < period.starts_on
        or ledger_selectors.transfer_ids_by_key([grant_key(period.pk, certificate.pk)])
    ):
        return 0
    return _grant(actor=actor, certificate=certificate, period=period, on=period.starts_on)


def _grant_batch(period: FinancingPeriod, budget, certificates: list[Certificate]) -> int:
    accounts_by_cert = ledger.ensure_accounts(
        kind=AccountKind.CERTIFICATE, period=period, holder_ids=[c.pk for c in certificates]
    )
    entries = []
    for certificate in certificates:
        amount, note = nominal_amount(period, certificate.child, period.starts_on)
        if amount <= 0:
            continue
        entries.append(
            grant_entry(
                period=period,
                budget_id=budget.pk,
                account_id=accounts_by_cert[certificate.pk].pk,
                certificate_id=certificate.pk,
                amount_kopecks=amount,
                note=note,
            )
        )
    try:
        return ledger.post_many(entries)
    except ledger.InsufficientFunds as exc:
        raise Conflict(
            "Бюджета периода не хватает на номиналы всех сертификатов финансирования.",
            code="budget_exhausted",
        ) from exc
