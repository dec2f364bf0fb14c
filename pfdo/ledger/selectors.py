"""Read use-cases of the ledger: certificate balances, statements, open reservations, the check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth

from pfdo.ledger.models import OVERDRAFT_KINDS, Account, MonthlyTotal, Transfer

Kind = Transfer.Kind
Phase = Transfer.Phase
POSTED_PHASES = (Phase.POSTED, Phase.POST_PENDING)


@dataclass(frozen=True, slots=True)
class CertificateBalance:
    """Where a certificate's money went: granted = spent + returned + reserved + available."""

    granted_kopecks: int = 0
    reserved_kopecks: int = 0
    spent_kopecks: int = 0
    returned_kopecks: int = 0
    available_kopecks: int = 0


def balance_of(account: Account | None) -> CertificateBalance:
    """The balance of one certificate account (all zeros when it has none yet)."""
    if account is None:
        return CertificateBalance()
    return balances_of([account.pk]).get(account.pk, CertificateBalance())


def balances_of(account_ids: Iterable[int]) -> dict[int, CertificateBalance]:
    """Balances of many accounts in two queries; an unknown id gets all zeros."""
    ids = set(account_ids)
    if not ids:
        return {}
    # Charges spend; a correction (adjust) gives part of a charge back: it lowers what was
    # spent rather than adding to what was granted. One query for both.
    spent: dict[int, int] = {}
    corrected: dict[int, int] = {}
    rows = (
        Transfer.objects.filter(
            Q(debit_account_id__in=ids, kind=Kind.CHARGE, phase__in=POSTED_PHASES)
            | Q(credit_account_id__in=ids, kind=Kind.ADJUST)
        )
        .order_by()
        .values_list("kind", "debit_account_id", "credit_account_id")
        .annotate(total=Sum("amount_kopecks"))
    )
    for kind, debit_id, credit_id, total in rows:
        if kind == Kind.CHARGE:
            spent[debit_id] = spent.get(debit_id, 0) + total
        else:
            corrected[credit_id] = corrected.get(credit_id, 0) + total
    balances = {pk: CertificateBalance() for pk in ids}
    for account in Account.objects.filter(pk__in=ids):
        charged = spent.get(account.pk, 0)
        back = corrected.get(account.pk, 0)
        balances[account.pk] = CertificateBalance(
            granted_kopecks=account.credits_posted_kopecks - back,
            reserved_kopecks=account.debits_pending_kopecks,
            spent_kopecks=charged - back,
            returned_kopecks=account.debits_posted_kopecks - charged,
            available_kopecks=account.available_kopecks,
        )
    return balances


# Labels of a statement line, by what the transfer did to the account.
CREDITED = "зачислено"
DEBITED = "списано"
RESERVED = "зарезервировано"
UNRESERVED = "возвращено из резерва"


def movements(account: Account) -> QuerySet[Transfer]:
    """Transfers touching `account`, newest first, each with its effect on the account.

    `effect_kopecks` is signed (+ credit, − debit; a void returns the reservation to the
    account it was taken from); `movement` is the statement label. The posted lines
    (posted, post_pending) add up to the balance; a reservation and its void cancel out,
    and a charged reservation shows both the reservation and the charge.
    """
    is_debit = Q(debit_account_id=account.pk)
    return (
        Transfer.objects.filter(is_debit | Q(credit_account_id=account.pk))
        .annotate(
            effect_kopecks=Case(
                When(is_debit & Q(phase=Phase.VOID_PENDING), then=F("amount_kopecks")),
                When(Q(phase=Phase.VOID_PENDING), then=-F("amount_kopecks")),
                When(is_debit, then=-F("amount_kopecks")),
                default=F("amount_kopecks"),
                output_field=BigIntegerField(),
            ),
            movement=Case(
                When(phase=Phase.PENDING, then=Value(RESERVED)),
                When(phase=Phase.VOID_PENDING, then=Value(UNRESERVED)),
                When(is_debit, then=Value(DEBITED)),
                default=Value(CREDITED),
                output_field=CharField(),
            ),
        )
        .order_by("-created_at", "-id")
    )


def open_reservations(*, ref_type: str, ref_id: int) -> QuerySet[Transfer]:
    """Reservations made for that cause and not yet posted or voided, oldest first."""
    return Transfer.objects.filter(
        ref_type=ref_type, ref_id=ref_id, phase=Phase.PENDING, resolutions__isnull=True
    ).order_by("created_at", "id")


# ---------------------------------------------------------------------------- the check


def verify_ledger() -> list[str]:
    """Problems of the ledger (empty: the totals agree with the transfers and the rules hold).

    All sums are aggregate queries grouped by account; no transfer is loaded into memory.
    """
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # One snapshot for every query, so transfers committed meanwhile cannot look like a
        # discrepancy.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return _problems()
    with transaction.atomic():
        return _problems()


def _problems() -> list[str]:
    problems: list[str] = []
    problems += _total_mismatches()
    problems += _monthly_mismatches()
    problems += _bad_resolutions()
    problems += _unbalanced()
    problems += _negative_available()
    return problems


def _sums(group_by: str, rows: QuerySet[Transfer]) -> dict[int, int]:
    grouped = rows.order_by().values(group_by).annotate(total=Sum("amount_kopecks"))
    return dict(grouped.values_list(group_by, "total"))


def _total_mismatches() -> list[str]:
    posted = Transfer.objects.filter(phase__in=POSTED_PHASES)
    open_pending = Transfer.objects.filter(phase=Phase.PENDING, resolutions__isnull=True)
    expected = {
        "debits_posted_kopecks": _sums("debit_account_id", posted),
        "credits_posted_kopecks": _sums("credit_account_id", posted),
        "debits_pending_kopecks": _sums("debit_account_id", open_pending),
        "credits_pending_kopecks": _sums("credit_account_id", open_pending),
    }
    problems = []
    rows = Account.objects.order_by("pk").values_list("pk", "key", *expected)
    for pk, key, *stored in rows.iterator(chunk_size=2000):
        for (field, sums), value in zip(expected.items(), stored, strict=True):
            should = sums.get(pk, 0)
            if value != should:
                problems.append(
                    f"Счёт {key}: {field} = {value}, а по проводкам {should} "
                    f"(расхождение {value - should})."
                )
    return problems


def monthly_totals_from_transfers() -> dict[tuple, tuple[int, int, int]]:
    """(account id, month, kind, phase) → (amount, reserved amounts resolved, transfers), as
    the monthly totals should hold them: summed on the account that is not a certificate's
    nor the appropriation (models.monthly_side), by local month."""
    side = Case(
        When(
            credit_account__kind__in=(Account.Kind.CERTIFICATE, Account.Kind.SOURCE),
            then=F("debit_account_id"),
        ),
        default=F("credit_account_id"),
    )
    rows = (
        Transfer.objects.annotate(total_account=side, month=TruncMonth("created_at"))
        .order_by()
        .values_list("total_account", "month", "kind", "phase")
        .annotate(
            total=Sum("amount_kopecks"),
            resolved=Coalesce(Sum("pending__amount_kopecks"), 0),
            n=Count("pk"),
        )
    )
    return {
        (account, _day(month), kind, phase): (total, resolved, n)
        for account, month, kind, phase, total, resolved, n in rows.iterator(chunk_size=2000)
    }


def _day(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _monthly_mismatches() -> list[str]:
    expected = monthly_totals_from_transfers()
    stored = {
        (account, month, kind, phase): (amount, resolved, n)
        for account, month, kind, phase, amount, resolved, n in MonthlyTotal.objects.values_list(
            "account_id",
            "month",
            "kind",
            "phase",
            "amount_kopecks",
            "resolved_kopecks",
            "transfers",
        ).iterator(chunk_size=2000)
    }
    problems = []
    for key in sorted(set(expected) | set(stored), key=str):
        if expected.get(key) != stored.get(key):
            account, month, kind, phase = key
            problems.append(
                f"Итог за {month:%m.%Y} по счёту {account} ({kind}/{phase}): записано "
                f"{stored.get(key)}, а по проводкам {expected.get(key)}."
            )
    return problems


def _bad_resolutions() -> list[str]:
    rows = (
        Transfer.objects.filter(phase__in=(Phase.POST_PENDING, Phase.VOID_PENDING))
        .filter(
            ~Q(pending__phase=Phase.PENDING)
            | ~Q(pending__debit_account_id=F("debit_account_id"))
            | ~Q(pending__credit_account_id=F("credit_account_id"))
            | Q(phase=Phase.POST_PENDING, amount_kopecks__gt=F("pending__amount_kopecks"))
            | (Q(phase=Phase.VOID_PENDING) & ~Q(amount_kopecks=F("pending__amount_kopecks")))
        )
        .order_by("pk")
        .values_list("key", "pending__key")
    )
    return [
        f"Проводка {key} не соответствует своему резерву {pending_key} "
        "(другие счета, не резерв или сумма больше резерва)."
        for key, pending_key in rows
    ]


def _unbalanced() -> list[str]:
    totals = Account.objects.aggregate(
        **{
            name: Coalesce(Sum(name), 0)
            for name in (
                "debits_posted_kopecks",
                "credits_posted_kopecks",
                "debits_pending_kopecks",
                "credits_pending_kopecks",
            )
        }
    )
    problems = []
    balance = totals["credits_posted_kopecks"] - totals["debits_posted_kopecks"]
    if balance != 0:
        problems.append(f"Сумма остатков всех счетов {balance} коп., а должна быть 0.")
    if totals["debits_pending_kopecks"] != totals["credits_pending_kopecks"]:
        problems.append(
            f"Резервы к списанию ({totals['debits_pending_kopecks']} коп.) не равны "
            f"резервам к зачислению ({totals['credits_pending_kopecks']} коп.)."
        )
    return problems


def _negative_available() -> list[str]:
    rows = (
        Account.objects.exclude(kind__in=sorted(OVERDRAFT_KINDS))
        .filter(credits_posted_kopecks__lt=F("debits_posted_kopecks") + F("debits_pending_kopecks"))
        .order_by("pk")
    )
    return [
        f"Счёт {a.key}: доступный остаток {a.available_kopecks} коп. меньше нуля." for a in rows
    ]


def ledger_size() -> tuple[int, int]:
    """(transfers, accounts): what the check looked at."""
    return Transfer.objects.count(), Account.objects.count()


# The kinds other apps name when they open accounts or move money through ledger.services.
AccountKind = Account.Kind
TransferKind = Transfer.Kind


# --- read by certificates


def certificate_account_of(certificate_id: int, period) -> Account | None:
    """The certificate's account in `period`, or None if it has none (yet)."""
    if period is None:
        return None
    return Account.objects.filter(
        kind=Account.Kind.CERTIFICATE, period=period, holder_id=certificate_id
    ).first()


def certificate_accounts_of(certificate_id: int) -> QuerySet[Account]:
    """The certificate's accounts in every period, newest period first, periods joined."""
    return (
        Account.objects.filter(kind=Account.Kind.CERTIFICATE, holder_id=certificate_id)
        .select_related("period")
        .order_by("-period__starts_on", "-pk")
    )


def certificate_account_ids(period, certificate_ids: Iterable[int]) -> dict[int, int]:
    """Account id → certificate id of the certificates' accounts in `period` (one query)."""
    return dict(
        Account.objects.filter(
            kind=Account.Kind.CERTIFICATE, period=period, holder_id__in=list(certificate_ids)
        ).values_list("pk", "holder_id")
    )


def budget_account_of(period) -> Account | None:
    """The period's budget account, or None before the first grant opened it."""
    return Account.objects.filter(kind=Account.Kind.BUDGET, period=period).first()


def totals_by_kind(account: Account) -> dict[str, int]:
    """Sum of every transfer touching `account` (either side), by transfer kind."""
    return {
        kind: total or 0
        for kind, total in Transfer.objects.filter(
            Q(debit_account=account) | Q(credit_account=account)
        )
        .order_by()
        .values("kind")
        .annotate(total=Sum("amount_kopecks"))
        .values_list("kind", "total")
    }


def granted_holder_ids(period) -> QuerySet:
    """Holder ids of the accounts a grant of `period` credited (a subquery, not evaluated)."""
    return Transfer.objects.filter(kind=Kind.GRANT, credit_account__period=period).values(
        "credit_account__holder_id"
    )


def period_funding(period) -> tuple[int, int]:
    """(net kopecks the municipality's appropriation put into `period`'s budget, how many
    funding movements did it): funds in, amendments that lowered the budget out."""
    budget_key = f"budget:p{period.pk}"
    rows = Transfer.objects.filter(
        Q(debit_account__kind=Account.Kind.SOURCE, credit_account__key=budget_key)
        | Q(credit_account__kind=Account.Kind.SOURCE, debit_account__key=budget_key)
    ).values_list("credit_account__key", "amount_kopecks")
    net, count = 0, 0
    for credit_key, amount in rows:
        net += amount if credit_key == budget_key else -amount
        count += 1
    return net, count


# --- read by enrolment


def transfer_ids_by_key(keys: Iterable[str]) -> dict[str, int]:
    """The ids of the transfers with these idempotency keys (those that exist)."""
    return dict(Transfer.objects.filter(key__in=list(keys)).values_list("key", "pk"))


def unresolved_pending_ids(pending_ids: Iterable[int]) -> set[int]:
    """Which of these reservations are still open (neither posted nor voided)."""
    return set(
        Transfer.objects.filter(pk__in=list(pending_ids), resolutions__isnull=True).values_list(
            "pk", flat=True
        )
    )


def amount_of(transfer_ids: Iterable[int]) -> int:
    """The sum of these transfers' amounts, in kopecks."""
    return sum(
        Transfer.objects.filter(pk__in=list(transfer_ids)).values_list("amount_kopecks", flat=True)
    )


def resolution_phases(pending_ids: Iterable[int]) -> dict[int, str]:
    """reservation id → the phase of what resolved it (`Phase.POST_PENDING`: charged,
    `Phase.VOID_PENDING`: released); open reservations are absent."""
    return dict(
        Transfer.objects.filter(pending_id__in=list(pending_ids)).values_list("pending_id", "phase")
    )


def voided_kopecks(*, ref_type: str, ref_id: int) -> int:
    """How much of the reservations made for that cause was voided (returned)."""
    return sum(
        Transfer.objects.filter(
            ref_type=ref_type, ref_id=ref_id, phase=Phase.VOID_PENDING
        ).values_list("amount_kopecks", flat=True)
    )


# --- read by billing


def reservation_resolved(reservation_field: str) -> Exists:
    """An expression for a query of another app: the reservation whose id is in the outer
    row's `reservation_field` has been posted or voided."""
    return Exists(Transfer.objects.filter(pending_id=OuterRef(reservation_field)))


def resolved_reservation_ids() -> QuerySet:
    """A subquery of the ids of every reservation already posted or voided."""
    return Transfer.objects.filter(pending_id__isnull=False).values("pending_id")


def debit_account_ids(transfer_ids: Iterable[int]) -> QuerySet:
    """A subquery of the accounts the given transfers debit."""
    return Transfer.objects.filter(pk__in=transfer_ids).values("debit_account_id")


def debit_accounts_of(transfer_ids: Iterable[int]) -> dict[int, int]:
    """transfer id → the account it debits (a reservation: the certificate account)."""
    return dict(
        Transfer.objects.filter(pk__in=list(transfer_ids)).values_list("pk", "debit_account_id")
    )


def unreserved_certificate_money(
    period, *, account_ids: Iterable[int] | QuerySet | None = None, chunk_size: int = 2000
) -> Iterator[tuple[int, int | None, int]]:
    """(account id, holder id, kopecks) of the period's certificate accounts with money
    neither reserved nor spent, by account id; only `account_ids` if given."""
    rows = Account.objects.filter(kind=Account.Kind.CERTIFICATE, period=period)
    if account_ids is not None:
        rows = rows.filter(pk__in=account_ids)
    rows = (
        rows.filter(
            credits_posted_kopecks__gt=F("debits_posted_kopecks") + F("debits_pending_kopecks")
        )
        .order_by("pk")
        .values_list(
            "pk",
            "holder_id",
            "credits_posted_kopecks",
            "debits_posted_kopecks",
            "debits_pending_kopecks",
        )
    )
    for pk, holder_id, credits, debits, pending in rows.iterator(chunk_size=chunk_size):
        yield pk, holder_id, credits - debits - pending


def charged_for_reservations(reservation_ids: Iterable[int] | QuerySet) -> int:
    """Kopecks posted (charged) from the given reservations."""
    total = Transfer.objects.filter(
        pending_id__in=reservation_ids, phase=Phase.POST_PENDING
    ).aggregate(s=Sum("amount_kopecks"))["s"]
    return total or 0


def transfers_total(*, ref_type: str, ref_ids: Iterable[int] | QuerySet, kind: str) -> int:
    """Kopecks of the transfers of `kind` made for the given causes."""
    total = Transfer.objects.filter(ref_type=ref_type, ref_id__in=ref_ids, kind=kind).aggregate(
        s=Sum("amount_kopecks")
    )["s"]
    return total or 0


# --- read by the demo


def voided_reservation_ids() -> QuerySet:
    """A subquery of the ids of every reservation that was voided (returned)."""
    return Transfer.objects.filter(phase=Phase.VOID_PENDING).values("pending_id")


def available_by_holder(period, *, kind: str = Account.Kind.CERTIFICATE) -> dict[int, int]:
    """holder id → available kopecks (posted credits − posted debits − pending debits) of
    the period's accounts of `kind`, in one query."""
    return {
        holder: credits - debits - pending
        for holder, credits, debits, pending in Account.objects.filter(
            kind=kind, period=period
        ).values_list(
            "holder_id",
            "credits_posted_kopecks",
            "debits_posted_kopecks",
            "debits_pending_kopecks",
        )
    }


# --- read by reports


@dataclass(frozen=True, slots=True)
class MoneyFlows:
    """What moved in a period (or one month of it), in kopecks, by what it means.

    funded: the budget put into the period (net of lowerings); granted: nominals credited to
    certificates; revoked: nominals returned when a certificate ended; lapsed: unreserved money
    returned at the period's close; reserved: reservations made by contracts; released: what
    left reservations without being charged (voids, and the part of a reservation posted for
    less); charged: months billed (net of corrections); paid: payment orders to providers.
    Open reservations are what was reserved less what was released or charged (gross).
    """

    funded_kopecks: int = 0
    granted_kopecks: int = 0
    revoked_kopecks: int = 0
    lapsed_kopecks: int = 0
    reserved_kopecks: int = 0
    released_kopecks: int = 0
    charged_kopecks: int = 0
    corrected_kopecks: int = 0
    paid_kopecks: int = 0

    def __add__(self, other: MoneyFlows) -> MoneyFlows:
        return MoneyFlows(
            **{
                name: getattr(self, name) + getattr(other, name)
                for name in MoneyFlows.__dataclass_fields__
            }
        )

    @property
    def open_reserved_kopecks(self) -> int:
        """Reservations neither charged nor released."""
        return self.reserved_kopecks - self.released_kopecks - self.charged_gross_kopecks

    @property
    def charged_gross_kopecks(self) -> int:
        return self.charged_kopecks + self.corrected_kopecks

    @property
    def committed_kopecks(self) -> int:
        """Reserved by contracts and not given back: open reservations plus net charges."""
        return self.open_reserved_kopecks + self.charged_kopecks


def money_flows_by_month(
    period_ids: Iterable[int],
    *,
    provider_id: int | None = None,
    contract_ids: Iterable[int] | QuerySet | None = None,
) -> dict[tuple[int, dt.date], MoneyFlows]:
    """(period id, month) → the period's money flows in that month of the transfers' dates
    (local time), for many periods in one grouped query of the monthly totals whatever the
    number of transfers.

    `provider_id` keeps only what concerns that provider (reservations, charges, releases,
    corrections and payments); the budget, grants, revocations and lapses belong to no
    provider and come out as zero. `contract_ids` (e.g. the contracts of one direction) keeps
    the reservations, charges and releases of those contracts only — read from the transfers
    themselves, by their cause; payments are made per invoice, not per contract, and come out
    as zero, as do budget, grants and lapses.
    """
    ids = list(period_ids)
    if not ids:
        return {}
    if contract_ids is not None:
        return _contract_flows(ids, provider_id, contract_ids)
    rows = MonthlyTotal.objects.filter(account__period_id__in=ids)
    if provider_id is not None:
        rows = rows.filter(
            account__kind__in=(Account.Kind.PROVIDER, Account.Kind.PAID, Account.Kind.ADVANCE),
            account__holder_id=provider_id,
        )
    grouped = (
        rows.order_by()
        .values_list("account__period_id", "month", "kind", "phase", "account__kind")
        .annotate(total=Sum("amount_kopecks"), resolved=Sum("resolved_kopecks"))
    )
    return _flows(grouped)


def _contract_flows(ids, provider_id, contract_ids) -> dict[tuple[int, dt.date], MoneyFlows]:
    rows = Transfer.objects.filter(
        credit_account__period_id__in=ids, ref_type="contract", ref_id__in=contract_ids
    )
    if provider_id is not None:
        rows = rows.filter(
            credit_account__kind=Account.Kind.PROVIDER, credit_account__holder_id=provider_id
        )
    grouped = (
        rows.annotate(month=TruncMonth("created_at"))
        .order_by()
        .values_list("credit_account__period_id", "month", "kind", "phase", "credit_account__kind")
        .annotate(total=Sum("amount_kopecks"), resolved=Sum("pending__amount_kopecks"))
    )
    return _flows(grouped)


def _flows(grouped) -> dict[tuple[int, dt.date], MoneyFlows]:
    """MoneyFlows from rows of (period, month, kind, phase, account kind, total, resolved)."""
    flows: dict[tuple[int, dt.date], dict[str, int]] = {}

    def add(period_id: int, month, name: str, amount: int) -> None:
        bucket = flows.setdefault((period_id, _day(month)), {})
        bucket[name] = bucket.get(name, 0) + amount

    for period_id, month, kind, phase, account_kind, total, resolved in grouped:
        if kind == Kind.FUND:
            add(period_id, month, "funded_kopecks", total)
        elif kind == Kind.GRANT:
            add(period_id, month, "granted_kopecks", total)
        elif kind == Kind.REVOKE:
            add(period_id, month, "revoked_kopecks", total)
        elif kind == Kind.LAPSE:
            add(period_id, month, "lapsed_kopecks", total)
        elif phase == Phase.PENDING:
            add(period_id, month, "reserved_kopecks", total)
        elif phase == Phase.VOID_PENDING:
            add(period_id, month, "released_kopecks", total)
        elif phase == Phase.POST_PENDING:
            add(period_id, month, "charged_kopecks", total)
            # A month billed for less than reserved returns the rest to the certificate.
            add(period_id, month, "released_kopecks", (resolved or total) - total)
        elif kind == Kind.PAY:
            add(period_id, month, "paid_kopecks", total)
        elif kind == Kind.ADJUST and account_kind == Account.Kind.BUDGET:
            # A lowered budget goes back to the appropriation.
            add(period_id, month, "funded_kopecks", -total)
        elif kind == Kind.ADJUST and account_kind == Account.Kind.ADVANCE:
            # A correction gives part of a charge back to the certificate.
            add(period_id, month, "charged_kopecks", -total)
            add(period_id, month, "corrected_kopecks", total)
    return {key: MoneyFlows(**values) for key, values in flows.items()}


def money_flows(
    period_ids: Iterable[int],
    *,
    provider_id: int | None = None,
    contract_ids: Iterable[int] | QuerySet | None = None,
) -> dict[int, MoneyFlows]:
    """period id → the period's flows over its whole life (every period asked gets a row)."""
    ids = list(period_ids)
    totals = {pk: MoneyFlows() for pk in ids}
    by_month = money_flows_by_month(ids, provider_id=provider_id, contract_ids=contract_ids)
    for (period_id, _), flows in by_month.items():
        totals[period_id] = totals[period_id] + flows
    return totals
