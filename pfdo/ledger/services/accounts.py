"""Opening the ledger's accounts: one at a time on first use, or many holders' at once."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from pfdo.common import clock
from pfdo.common.errors import ValidationFailed
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger.models import Account, account_key
from pfdo.ledger.services._common import CHUNK, chunks
from pfdo.territory.models import Municipality


def get_account(
    *,
    kind: str,
    municipality: Municipality,
    period: FinancingPeriod | None = None,
    holder_id: int | None = None,
) -> Account:
    """The account of that kind, municipality, period and holder; opened on first use."""
    _check_period(municipality, period)
    try:
        key = account_key(
            kind,
            municipality_id=municipality.pk,
            period_id=period.pk if period else None,
            holder_id=holder_id,
        )
    except ValueError as exc:
        raise ValidationFailed(f"Неверные реквизиты счёта: {exc}.") from exc
    account = Account.objects.filter(key=key).first()
    if account is not None:
        return account
    try:
        # Its own savepoint: a concurrent first use may win the unique key.
        with transaction.atomic():
            return Account.objects.create(
                key=key, kind=kind, municipality=municipality, period=period, holder_id=holder_id
            )
    except IntegrityError:
        return Account.objects.get(key=key)


def ensure_accounts(
    *, kind: str, period: FinancingPeriod, holder_ids: Iterable[int]
) -> dict[int, Account]:
    """The accounts of many holders in one period (e.g. every certificate), opened in bulk."""
    wanted: dict[str, int] = {}
    for holder_id in holder_ids:
        try:
            key = account_key(
                kind,
                municipality_id=period.municipality_id,
                period_id=period.pk,
                holder_id=holder_id,
            )
        except ValueError as exc:
            raise ValidationFailed(f"Неверные реквизиты счёта: {exc}.") from exc
        wanted[key] = holder_id
    with transaction.atomic():
        found = _accounts_by_key(wanted)
        missing = [k for k in wanted if k not in found]
        if missing:
            now = clock.now()
            # A concurrent opener may have created some meanwhile: skip those, re-read all.
            Account.objects.bulk_create(
                [
                    Account(
                        key=k,
                        kind=kind,
                        municipality_id=period.municipality_id,
                        period=period,
                        holder_id=wanted[k],
                        created_at=now,
                    )
                    for k in missing
                ],
                batch_size=CHUNK,
                ignore_conflicts=True,
            )
            found.update(_accounts_by_key(missing))
    return {wanted[k]: account for k, account in found.items()}


def _accounts_by_key(keys: Iterable[str]) -> dict[str, Account]:
    found: dict[str, Account] = {}
    for chunk in chunks(list(keys)):
        found.update({a.key: a for a in Account.objects.filter(key__in=chunk)})
    return found


def _check_period(municipality: Municipality, period: FinancingPeriod | None) -> None:
    if period is not None and period.municipality_id != municipality.pk:
        raise ValidationFailed("Период финансирования относится к другому муниципалитету.")
