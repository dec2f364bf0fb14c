"""Ledger accounts with their running totals, and transfers: double entry, written once."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from pfdo.common import clock
from pfdo.ledger.errors import AppendOnlyViolation
from pfdo.ledger.querysets import AccountQuerySet, MonthlyTotalQuerySet, TransferQuerySet


class AccountKind(models.TextChoices):
    SOURCE = "source", "Бюджетные ассигнования"
    BUDGET = "budget", "Бюджет периода"
    CERTIFICATE = "certificate", "Сертификат в периоде"
    PROVIDER = "provider", "Задолженность перед поставщиком"
    PAID = "paid", "Выплачено поставщику"
    ADVANCE = "advance", "Расчёты по авансам поставщику"


# Kinds whose account belongs to someone (a certificate or a provider) inside a period.
HELD_KINDS = frozenset(
    {AccountKind.CERTIFICATE, AccountKind.PROVIDER, AccountKind.PAID, AccountKind.ADVANCE}
)

# Kinds allowed below zero. The municipality's appropriation pays out before it is funded;
# a provider's advance account goes negative when an advance is paid before the month's
# invoice settles it (the provider owes the services), and back to zero when it does.
OVERDRAFT_KINDS = frozenset({AccountKind.SOURCE, AccountKind.ADVANCE})


def account_key(
    kind: str, *, municipality_id: int, period_id: int | None = None, holder_id: int | None = None
) -> str:
    """The unique key of an account: 'source:m12', 'budget:p3', 'certificate:p3:h45', …

    A period belongs to one municipality, so period accounts are keyed by the period alone.
    """
    kind = AccountKind(kind)
    if kind == AccountKind.SOURCE:
        if period_id is not None or holder_id is not None:
            raise ValueError("a source account has neither a period nor a holder")
        if not municipality_id:
            raise ValueError("a source account needs a municipality")
        return f"source:m{municipality_id}"
    if not period_id:
        raise ValueError(f"a {kind.value} account needs a period")
    if kind == AccountKind.BUDGET:
        if holder_id is not None:
            raise ValueError("a budget account has no holder")
        return f"budget:p{period_id}"
    if not holder_id:
        raise ValueError(f"a {kind.value} account needs a holder id")
    return f"{kind.value}:p{period_id}:h{holder_id}"


def _total(label: str) -> models.BigIntegerField:
    return models.BigIntegerField(label, default=0)


class Account(models.Model):
    """One pot of money. Totals change only in ledger services, together with a transfer.

    A credit adds to the balance, a debit takes from it. Pending debits are reserved:
    they already lower what is available, so a certificate cannot promise the same rouble
    to two contracts.
    """

    Kind = AccountKind

    key = models.CharField("ключ", max_length=120, unique=True)
    kind = models.CharField("вид счёта", max_length=20, choices=AccountKind.choices)
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        on_delete=models.PROTECT,
        related_name="+",
    )
    period = models.ForeignKey(
        "financing.FinancingPeriod",
        verbose_name="период финансирования",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A certificate id or a provider id: those apps sit above the ledger, so no foreign key.
    holder_id = models.PositiveBigIntegerField("id владельца", null=True, blank=True)

    debits_posted_kopecks = _total("списано, коп.")
    credits_posted_kopecks = _total("зачислено, коп.")
    debits_pending_kopecks = _total("зарезервировано к списанию, коп.")
    credits_pending_kopecks = _total("зарезервировано к зачислению, коп.")
    created_at = models.DateTimeField("создан", default=clock.now)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = "счёт учёта"
        verbose_name_plural = "счета учёта"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["kind", "holder_id"], name="ledger_account_kind_holder"),
            models.Index(fields=["kind", "period"], name="ledger_account_kind_period"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    debits_posted_kopecks__gte=0,
                    credits_posted_kopecks__gte=0,
                    debits_pending_kopecks__gte=0,
                    credits_pending_kopecks__gte=0,
                ),
                name="ledger_account_totals_not_negative",
            ),
            # The last guard against overspending: even a code path that forgot the lock or
            # the conditional UPDATE cannot take a certificate, budget or provider below zero.
            models.CheckConstraint(
                condition=Q(kind__in=sorted(OVERDRAFT_KINDS))
                | Q(
                    credits_posted_kopecks__gte=F("debits_posted_kopecks")
                    + F("debits_pending_kopecks")
                ),
                name="ledger_account_available_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(kind=AccountKind.SOURCE, period__isnull=True, holder_id__isnull=True)
                | Q(kind=AccountKind.BUDGET, period__isnull=False, holder_id__isnull=True)
                | Q(kind__in=sorted(HELD_KINDS), period__isnull=False, holder_id__isnull=False),
                name="ledger_account_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.key})"

    @property
    def balance_kopecks(self) -> int:
        return self.credits_posted_kopecks - self.debits_posted_kopecks

    @property
    def available_kopecks(self) -> int:
        return self.balance_kopecks - self.debits_pending_kopecks


class Transfer(models.Model):
    """A movement of money from the debit account to the credit account; never changed.

    A reservation is a PENDING transfer; exactly one later transfer resolves it: a
    POST_PENDING (the money moves, possibly less than reserved) or a VOID_PENDING (the whole
    reservation returns).
    """

    class Kind(models.TextChoices):
        FUND = "fund", "Финансирование периода"
        GRANT = "grant", "Начисление номинала"
        REVOKE = "revoke", "Возврат при аннулировании"
        LAPSE = "lapse", "Сгорание неиспользованного остатка"
        RESERVE = "reserve", "Резерв по договору"
        CHARGE = "charge", "Оплата месяца обучения"
        RELEASE = "release", "Возврат резерва"
        PAY = "pay", "Оплата поставщику"
        OFFSET = "offset", "Зачёт аванса"
        ADJUST = "adjust", "Корректировка"

    class Phase(models.TextChoices):
        POSTED = "posted", "проведена"
        PENDING = "pending", "резерв"
        POST_PENDING = "post_pending", "списание резерва"
        VOID_PENDING = "void_pending", "отмена резерва"

    key = models.CharField("ключ идемпотентности", max_length=200, unique=True)
    kind = models.CharField("вид операции", max_length=20, choices=Kind.choices)
    phase = models.CharField("фаза", max_length=20, choices=Phase.choices)
    debit_account = models.ForeignKey(
        Account, verbose_name="счёт списания", on_delete=models.PROTECT, related_name="debits"
    )
    credit_account = models.ForeignKey(
        Account, verbose_name="счёт зачисления", on_delete=models.PROTECT, related_name="credits"
    )
    amount_kopecks = models.BigIntegerField("сумма, коп.")
    pending = models.ForeignKey(
        "self",
        verbose_name="резерв",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolutions",
    )
    description = models.CharField("основание", max_length=300, blank=True)
    ref_type = models.CharField("тип источника", max_length=40, blank=True)
    ref_id = models.PositiveBigIntegerField("id источника", null=True, blank=True)
    created_at = models.DateTimeField("время", default=clock.now, db_index=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = "проводка"
        verbose_name_plural = "проводки"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ref_type", "ref_id"], name="ledger_transfer_ref")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(debit_account=F("credit_account")),
                name="ledger_transfer_accounts_differ",
            ),
            models.CheckConstraint(
                condition=Q(amount_kopecks__gt=0), name="ledger_transfer_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(pending__isnull=True, phase__in=["posted", "pending"])
                | Q(pending__isnull=False, phase__in=["post_pending", "void_pending"]),
                name="ledger_transfer_pending_iff_resolution",
            ),
            models.UniqueConstraint(
                fields=["pending"],
                condition=Q(pending__isnull=False),
                name="ledger_transfer_one_resolution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.get_kind_display()} {self.amount_kopecks} коп."

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyViolation("update")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation("delete")

    @property
    def is_posted(self) -> bool:
        return self.phase in (self.Phase.POSTED, self.Phase.POST_PENDING)


class MonthlyTotal(models.Model):
    """Transfers summed by local month, kind and phase, per account: what reports read instead
    of scanning millions of transfers. Kept by the ledger services in the same transaction as
    the transfers (`services._common.add_monthly`), on the account that is not a certificate's
    (the provider's payable for a reservation, the budget for a grant or a lapse, the paid
    account for a payment…) — an account every such transfer has already locked, so keeping
    the total adds no lock and no wait. `verify_ledger` proves it agrees with the transfers.
    """

    account = models.ForeignKey(
        Account, verbose_name="счёт", on_delete=models.PROTECT, related_name="monthly_totals"
    )
    month = models.DateField("месяц")
    kind = models.CharField("вид операции", max_length=20, choices=Transfer.Kind.choices)
    phase = models.CharField("фаза", max_length=20, choices=Transfer.Phase.choices)
    amount_kopecks = models.BigIntegerField("сумма, коп.", default=0)
    # For resolutions of reservations: the reservations' own amounts (a month billed for less
    # than reserved returns the difference).
    resolved_kopecks = models.BigIntegerField("сумма резервов, коп.", default=0)
    transfers = models.PositiveIntegerField("проводок", default=0)

    objects = MonthlyTotalQuerySet.as_manager()

    class Meta:
        verbose_name = "итог за месяц"
        verbose_name_plural = "итоги за месяц"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "month", "kind", "phase"], name="ledger_monthly_total_unique"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.account_id} {self.month:%Y-%m} {self.kind}/{self.phase}: {self.amount_kopecks}"
        )


# Where a transfer is summed: the account of the pair that is neither a certificate's (there
# are as many of those as children) nor the municipality's appropriation (it has no period).
def monthly_side(credit_kind: str) -> str:
    return "debit" if credit_kind in (AccountKind.CERTIFICATE, AccountKind.SOURCE) else "credit"
