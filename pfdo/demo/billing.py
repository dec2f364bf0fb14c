"""Demo billing of a municipality: the ended months of the running period invoiced, accepted
and paid, the current month open (its advance paid, its invoice not due yet), a journal.

Everything happens at believable past moments with the clock frozen, in the order it happened,
through the services: a provider's staff build and submit, the payer accepts and pays. One
step is written as the service would have written it then: the advance request. The service
takes the contracts in force *today*, and the demo's contracts already exist when the seed
runs, so an advance built "on the 2nd working day" by the service would list contracts signed
weeks later; the demo writes the same rows (lines, amounts, the action-log row) from the
contracts signed and in force at that moment. Invoices are built by the service after the last
contract of their month was signed, so what it reads is what there was.

Nothing is billed before the running period: the certificates demo issues every financing
certificate inside it, and says of the accounting ones issued before that no programme ran then.

A few things make the demo worth looking at: the demo provider's invoice of the last ended
month was rejected (its journal lacked the last week) and rebuilt after the journal was
completed; another provider's invoice of that month is paid only in part; the demo parent's
children's groups and the demo provider's groups have their journals.

Idempotent: each step looks at the document's state first, so a second run does nothing and a
run on a later day catches up with what has happened since (a newly ended month is invoiced).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pfdo.accounts.models import Membership, User
from pfdo.accounts.roles import Role
from pfdo.audit import services as audit
from pfdo.audit.models import ActionLog
from pfdo.billing import calculation as calc
from pfdo.billing import services
from pfdo.billing.models import (
    AdvanceLine,
    AdvanceRequest,
    DocumentStatus,
    Invoice,
    Payment,
)
from pfdo.common import clock, months
from pfdo.common.calendar import LIBRARY as CALENDAR
from pfdo.common.errors import Conflict, DomainError
from pfdo.demo.billing_journals import Journals
from pfdo.demo.billing_summary import Summary, period_months, summary
from pfdo.demo.people import moment as _at
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import Provider, ProviderStaff

Status = DocumentStatus
# CALENDAR is the package's production calendar: the demo region keeps no overrides, so the
# services check the demo's dates against the same calendar.

# The period's first month: clubs start and families sign through September, so providers
# file its advance once their groups have filled (about the 13th working day), not on the 2nd.
FIRST_MONTH_ADVANCE_DAY = 13
PARTIAL_SHARE_PERCENT = 60  # of the invoice the payer paid first (the rest is still owed)


def _office(moment: dt.datetime) -> dt.datetime:
    """The moment moved into office hours (9–18 of a working day)."""
    local = timezone.localtime(moment)
    day = local.date()
    if not CALENDAR.is_working_day(day) or local.hour >= 18:
        return _at(CALENDAR.add_working_days(day, 1), 9, 30)
    if local.hour < 9:
        return _at(day, 9, 30)
    return moment


# ------------------------------------------------------------------------- the entry point


def seed_billing(
    *,
    municipality,
    period: FinancingPeriod | None,
    payer: User | None = None,
    demo_staff: User | None = None,
    parent: User | None = None,
    rng_seed: int = 2026,
) -> Summary:
    """Bill the running period of `municipality` up to today (see the module's docstring).

    `payer` accepts and pays (default: the municipality's first payer); `demo_staff` is the
    demo provider's login, whose invoice gets rejected once and whose groups keep a journal,
    as do the groups of `parent`'s children. Nothing happens outside a running period.
    """
    today = clock.today()
    if (
        period is None
        or period.status != FinancingPeriod.Status.APPROVED
        or not period.starts_on <= today <= period.ends_on
    ):
        return summary(municipality=municipality, period=period)
    payer = payer or _first_payer(municipality)
    if payer is None:
        return summary(municipality=municipality, period=period)
    plan = _Plan(
        municipality=municipality,
        period=period,
        payer=payer,
        demo_staff=demo_staff,
        parent=parent,
        rng=random.Random(rng_seed * 100 + municipality.number + 11),
    )
    with transaction.atomic():
        plan.make()
        plan.run()
    return summary(municipality=municipality, period=period)


def _first_payer(municipality) -> User | None:
    row = (
        Membership.objects.filter(role=Role.PAYER, municipality=municipality)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return row.user if row else None


# --------------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class _Row:
    """One reserved contract month, with when its contract was signed and ended."""

    contract_id: int
    kopecks: int
    accepted_at: dt.datetime
    ended_at: dt.datetime | None

    def in_force_at(self, moment: dt.datetime) -> bool:
        return self.accepted_at <= moment and (self.ended_at is None or self.ended_at > moment)


@dataclass
class _Plan(Journals):
    municipality: object
    period: FinancingPeriod
    payer: User
    demo_staff: User | None
    parent: User | None
    rng: random.Random
    events: list[tuple[dt.datetime, int, Callable[[], None]]] = field(default_factory=list)
    rows: dict[tuple[int, dt.date], list[_Row]] = field(default_factory=dict)
    staff: dict[int, User] = field(default_factory=dict)
    providers: dict[int, Provider] = field(default_factory=dict)
    advance_decided: dict[tuple[int, dt.date], dt.datetime] = field(default_factory=dict)

    def __post_init__(self):
        self.now = clock.now()
        self.today = clock.today()
        # Nothing is done closer to now than this: it has not happened yet.
        self.latest = self.now - dt.timedelta(minutes=10)
        self.months = period_months(self.period, self.today)
        self.ended = [m for m in self.months if months.month_end(m) < self.today]
        self.demo_provider: int | None = None

    def add(self, moment: dt.datetime, step: Callable[[], None]) -> None:
        self.events.append((moment, len(self.events), step))

    # -- what there is ------------------------------------------------------------------

    def load(self) -> None:
        rows: dict[tuple[int, dt.date], list[_Row]] = defaultdict(list)
        for contract_id, provider_id, month, kopecks, accepted, ended in (
            ContractMonth.objects.filter(
                contract__municipality=self.municipality,
                contract__funding=Contract.Funding.CERTIFICATE,
                contract__accepted_at__isnull=False,
                reservation_id__isnull=False,
                month__in=self.months,
            )
            .order_by("contract_id", "month")
            .values_list(
                "contract_id",
                "contract__provider_id",
                "month",
                "certificate_kopecks",
                "contract__accepted_at",
                "contract__ended_at",
            )
        ):
            if ended is not None and month > months.month_start(timezone.localdate(ended)):
                continue  # given back when the contract ended: never billed
            rows[provider_id, month].append(_Row(contract_id, kopecks, accepted, ended))
        self.rows = dict(rows)
        ids = sorted({p for p, _ in self.rows})
        self.providers = Provider.objects.select_related("municipality").in_bulk(ids)
        for row in (
            ProviderStaff.objects.filter(provider_id__in=ids, is_active=True)
            .select_related("user")
            .order_by("provider_id", "-is_admin", "pk")
        ):
            self.staff.setdefault(row.provider_id, row.user)
        self.demo_provider = self._demo_provider()
        if self.demo_provider is not None:
            self.staff[self.demo_provider] = self.demo_staff

    def _demo_provider(self) -> int | None:
        if self.demo_staff is None:
            return None
        return (
            ProviderStaff.objects.filter(
                user=self.demo_staff,
                is_active=True,
                provider__municipality=self.municipality,
            )
            .order_by("pk")
            .values_list("provider_id", flat=True)
            .first()
        )

    # -- making the timeline ----------------------------------------------------------

    def make(self) -> None:
        self.load()
        exception_month = self.ended[-1] if self.ended else None
        rejected = self.rejection_target(exception_month)
        partial = self.partial_target(exception_month, rejected)
        held_back, reason = self.journals(exception_month, rejected)
        for month in self.months:
            for provider_id in sorted(p for p, m in self.rows if m == month):
                self.plan_advance(provider_id, month)
                if month not in self.ended:
                    continue  # the current month: its invoice is not due yet
                key = (provider_id, month)
                self.plan_invoice(
                    provider_id,
                    month,
                    reject_reason=reason if key == rejected else "",
                    partial=key == partial,
                    after_rejection=held_back if key == rejected else [],
                )

    def rejection_target(self, month: dt.date | None) -> tuple[int, dt.date] | None:
        """The demo provider's invoice of the last ended month, unless the payer already
        rejected another invoice (a later run leaves the demo's one rejection alone)."""
        provider_id = self.demo_provider
        if month is None or provider_id is None or (provider_id, month) not in self.rows:
            return None
        own = Invoice.objects.filter(provider_id=provider_id, month=month).values_list(
            "pk", flat=True
        )
        if (
            ActionLog.objects.filter(
                action="billing.invoice_rejected",
                object_type="billing.invoice",
                municipality=self.municipality,
            )
            .exclude(object_id__in=[str(pk) for pk in own])
            .exists()
        ):
            return None
        return provider_id, month

    def partial_target(self, month: dt.date | None, rejected) -> tuple[int, dt.date] | None:
        """The provider with the most contracts in the last ended month (not the rejected
        one), unless another invoice of the municipality is already paid only in part."""
        if month is None:
            return None
        candidates = sorted(
            (-len(rows), p)
            for (p, m), rows in self.rows.items()
            if m == month and (p, m) != rejected
        )
        if not candidates:
            return None
        provider_id = candidates[0][1]
        if (
            Invoice.objects.filter(
                municipality=self.municipality,
                status=Status.ACCEPTED,
                paid_kopecks__gt=0,
                paid_kopecks__lt=F("due_kopecks"),
            )
            .exclude(provider_id=provider_id, month=month)
            .exists()
        ):
            return None
        return provider_id, month

    # -- advance requests ---------------------------------------------------------------

    def plan_advance(self, provider_id: int, month: dt.date) -> None:
        rng, period = self.rng, self.period
        day_number = period.advance_from_working_day
        if month == months.month_start(period.starts_on):
            day_number = max(day_number, FIRST_MONTH_ADVANCE_DAY)
        built = _at(
            CALENDAR.working_day(month, day_number + rng.randint(0, 2)),
            rng.randint(9, 12),
            rng.randint(0, 59),
        )
        submitted = built + dt.timedelta(minutes=rng.randint(20, 50))
        accepted = _at(
            CALENDAR.add_working_days(timezone.localdate(built), 1),
            rng.randint(10, 16),
            rng.randint(0, 59),
        )
        paid = _at(
            CALENDAR.add_working_days(timezone.localdate(accepted), rng.randint(1, 2)),
            15,
            rng.randint(0, 59),
        )
        rows = self.rows[provider_id, month]
        if not any(r.in_force_at(built) for r in rows):
            return  # nothing signed yet: the provider filed no advance that month
        self.advance_decided[provider_id, month] = accepted
        self.add(built, lambda: self.build_advance(provider_id, month, rows))
        self.add(submitted, lambda: self.submit(AdvanceRequest, provider_id, month))
        self.add(accepted, lambda: self.accept(AdvanceRequest, provider_id, month))
        self.add(paid, lambda: self.pay(AdvanceRequest, provider_id, month))

    def build_advance(self, provider_id: int, month: dt.date, rows: list[_Row]) -> None:
        """What services.build_advance writes, from the contracts signed and in force now."""
        if AdvanceRequest.objects.filter(provider_id=provider_id, month=month).exists():
            return
        if Invoice.objects.filter(provider_id=provider_id, month=month).exists():
            return
        now, today, period = clock.now(), clock.today(), self.period
        if not services.advance_opens_on(period, month) <= today <= months.month_end(month):
            return
        lines = [r for r in rows if r.in_force_at(now)]
        if not lines:
            return
        base = sum(r.kopecks for r in lines)
        provider = self.providers[provider_id]
        request = AdvanceRequest(
            provider=provider,
            municipality_id=provider.municipality_id,
            period=period,
            month=month,
            share_percent=period.advance_share_percent,
            base_kopecks=base,
            amount_kopecks=calc.advance_amount(base, period.advance_share_percent),
            contracts_count=len(lines),
            built_at=now,
        )
        request.take_payee()  # as the service's build does
        request.save()
        AdvanceLine.objects.bulk_create(
            [
                AdvanceLine(request=request, contract_id=r.contract_id, month_kopecks=r.kopecks)
                for r in lines
            ]
        )
        audit.record(
            actor=self.staff.get(provider_id),
            action="billing.advance_built",
            obj=request,
            municipality=provider.municipality,
            details={"amount_kopecks": request.amount_kopecks, "contracts": len(lines)},
        )

    # -- invoices -----------------------------------------------------------------------

    def plan_invoice(
        self,
        provider_id: int,
        month: dt.date,
        *,
        reject_reason: str,
        partial: bool,
        after_rejection: list[Callable[[], None]],
    ) -> None:
        rng, period = self.rng, self.period
        if month.month == 12 and period.december_invoice_in_december:
            # Filed within December to close the budget year (domain.md §6).
            days = [
                d
                for d in (month + dt.timedelta(days=i) for i in range(31))
                if d.month == 12 and CALENDAR.is_working_day(d)
            ]
            day = days[-5]
        else:
            day = CALENDAR.working_day(months.next_month(month), 3 + rng.randint(0, 2))
        rows = self.rows[provider_id, month]
        built = max(
            _at(day, rng.randint(9, 12), rng.randint(0, 59)),
            # The month's last contract was signed by then, so the invoice holds what there was.
            max(r.accepted_at for r in rows) + dt.timedelta(minutes=45),
            self.advance_decided.get((provider_id, month), self.now - dt.timedelta(days=9999))
            + dt.timedelta(hours=2),
        )
        built = _office(built)
        submitted = built + dt.timedelta(minutes=rng.randint(30, 90))
        self.add(built, lambda: self.build_invoice(provider_id, month, rebuild=False))
        self.add(submitted, lambda: self.submit(Invoice, provider_id, month))
        if reject_reason:
            rejected = _at(
                CALENDAR.add_working_days(timezone.localdate(built), 1), 11, rng.randint(0, 59)
            )
            self.add(rejected, lambda: self.reject(provider_id, month, reject_reason))
            for index, mark in enumerate(after_rejection):
                self.add(rejected + dt.timedelta(hours=2, minutes=5 * index), mark)
            rebuilt = _at(
                CALENDAR.add_working_days(timezone.localdate(rejected), 1), 10, rng.randint(0, 59)
            )
            self.add(rebuilt, lambda: self.build_invoice(provider_id, month, rebuild=True))
            self.add(
                rebuilt + dt.timedelta(minutes=25), lambda: self.submit(Invoice, provider_id, month)
            )
            built = rebuilt
        accepted = _at(
            CALENDAR.add_working_days(timezone.localdate(built), rng.randint(1, 2)),
            rng.randint(11, 16),
            rng.randint(0, 59),
        )
        paid = _at(
            CALENDAR.add_working_days(timezone.localdate(accepted), rng.randint(1, 3)),
            14,
            rng.randint(0, 59),
        )
        self.add(
            accepted,
            lambda: self.accept(Invoice, provider_id, month, after_rejection=bool(reject_reason)),
        )
        share = PARTIAL_SHARE_PERCENT if partial else 100
        self.add(paid, lambda: self.pay(Invoice, provider_id, month, share_percent=share))

    def build_invoice(self, provider_id: int, month: dt.date, *, rebuild: bool) -> None:
        invoice = Invoice.objects.filter(provider_id=provider_id, month=month).first()
        if (invoice is not None) != rebuild or (rebuild and invoice.status != Status.REJECTED):
            return
        services.build_invoice(
            actor=self.staff.get(provider_id), provider=self.providers[provider_id], month=month
        )

    def reject(self, provider_id: int, month: dt.date, reason: str) -> None:
        invoice = Invoice.objects.filter(
            provider_id=provider_id, month=month, status=Status.SUBMITTED
        ).first()
        if invoice is None or _was_rejected(invoice):
            return
        services.reject_invoice(actor=self.payer, invoice=invoice, reason=reason)

    # -- shared steps -------------------------------------------------------------------

    def submit(self, model, provider_id: int, month: dt.date) -> None:
        document = model.objects.filter(
            provider_id=provider_id, month=month, status=Status.DRAFT
        ).first()
        if document is None:
            return
        actor = self.staff.get(provider_id)
        if model is Invoice:
            services.submit_invoice(actor=actor, invoice=document)
        else:
            services.submit_advance(actor=actor, advance=document)

    def accept(self, model, provider_id: int, month: dt.date, *, after_rejection=False) -> None:
        document = model.objects.filter(
            provider_id=provider_id, month=month, status=Status.SUBMITTED
        ).first()
        if document is None:
            return
        if model is Invoice:
            if after_rejection and not _was_rejected(document):
                return  # the payer rejects it first (a run interrupted before that)
            services.accept_invoice(actor=self.payer, invoice=document)
        else:
            services.accept_advance(actor=self.payer, advance=document)

    def pay(self, model, provider_id: int, month: dt.date, *, share_percent: int = 100) -> None:
        document = model.objects.filter(
            provider_id=provider_id, month=month, status=Status.ACCEPTED, paid_kopecks=0
        ).first()
        if document is None or document.payable_kopecks <= 0:
            return
        amount = document.payable_kopecks
        if share_percent < 100:
            amount = max(amount * share_percent // 100 // 100 * 100, 1)
        number = Payment.objects.filter(municipality=self.municipality).count() + 1
        for attempt in range(20):
            try:
                services.record_payment(
                    actor=self.payer,
                    document=document,
                    order_number=str(number + attempt),
                    paid_on=clock.today(),
                    amount_kopecks=amount,
                )
                return
            except Conflict as exc:
                if exc.code != "duplicate_order":
                    raise

    # -- running ------------------------------------------------------------------------

    def run(self) -> None:
        """Every step at its moment, in the order they happened; a step the data no longer
        allows (changed in the running demo since the first seed) is left out."""
        for moment, _, step in sorted(self.events, key=lambda e: (e[0], e[1])):
            if moment > self.latest:
                continue
            with clock.frozen(moment):
                try:
                    with transaction.atomic():
                        step()
                except DomainError:
                    continue


def _was_rejected(invoice: Invoice) -> bool:
    return ActionLog.objects.filter(
        action="billing.invoice_rejected",
        object_type="billing.invoice",
        object_id=str(invoice.pk),
    ).exists()
