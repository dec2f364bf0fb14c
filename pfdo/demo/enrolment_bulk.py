"""Region-scale active contracts for the billing benchmark (`seed_demo --scale region`), in bulk.

About 130,000 children of the Komi municipalities (Vorkuta keeps its own hand-made demo) hold
150,000 active contracts paid by their financing certificates in the groups of the region
catalogue (pfdo.demo.catalog_bulk): families with unusable logins, guardianships, approved
certificate applications, certificates whose nominal was granted from the period budget, and for
every contract its application, its months (split by enrolment's own terms.split_contract)
and one pending reservation per month, posted through the ledger's batch API — what the
services would have written, without history, action-log rows or notifications. The contracts start with
their groups (in September, a few on 1 October) or a little later when the family enrolled
later, and run to the group's end, so October is a whole month of every one of them.

Children are written two thousand at a time, each municipality in one transaction, so memory
holds one chunk; a municipality whose families exist is skipped (idempotent). The transfers
and the account totals go through ledger.post_many / post_many_with_ids (set-based totals,
guarded by the accounts' CHECK constraints), each transfer stamped with the moment of its
cause. The region catalogue marked places taken with nobody in them: in the
groups used here those places go to real contracts, so `seats_taken` counts the applications
holding places, and a group's capacity grows where the demand is larger (a region of this size
has larger groups than the catalogue's). A period's quota and budget are fixed once it is
funded, so `size_periods` runs before that.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import reset_queries, transaction
from django.db.models import Count

from pfdo.accounts.models import Membership, User
from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import (
    Certificate,
    CertificateApplication,
    Child,
    Guardianship,
    NumberSequence,
)
from pfdo.common import clock
from pfdo.common.months import months_touched, next_month
from pfdo.demo import certificates as certificates_demo
from pfdo.demo import contracts as contracts_demo
from pfdo.demo import people
from pfdo.demo.catalog_bulk import MUNICIPALITY_WEIGHTS
from pfdo.demo.enrolment_bulk_children import (
    SECOND,
    BulkGroup,
    Children,
    Chunk,
    Deal,
    Kid,
    Lesson,
    prefix,
)
from pfdo.demo.shares import proportional
from pfdo.enrolment.models import Application, Contract, ContractMonth
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import largest_nominal_kopecks
from pfdo.ledger import services as ledger
from pfdo.ledger.selectors import AccountKind, TransferKind
from pfdo.providers.models import EnrolmentLimit, Provider

REGION_CONTRACTS = 150_000
CHUNK_CHILDREN = 2_000
BATCH = 2_000
# Room the municipality's period keeps for its other certificates (the catalogue's quota).
QUOTA_HEADROOM = 2_000
# Some clubs are wanted more than others; the spread is narrow so no group grows absurd.
POPULARITY = (0.6, 0.8, 1.0, 1.0, 1.2, 1.5)

Status = Application.Status


@dataclass
class Report:
    municipalities: int = 0  # seeded now
    skipped: int = 0  # seeded before
    parents: int = 0
    children: int = 0
    contracts: int = 0
    months: int = 0
    reservations: int = 0
    groups_enlarged: int = 0


# ----------------------------------------------------------------------------------- plan


def _running_period(municipality, today: dt.date) -> FinancingPeriod | None:
    return (
        FinancingPeriod.objects.filter(
            municipality=municipality, status=FinancingPeriod.Status.APPROVED
        )
        .covering(today)
        .prefetch_related("nominal_categories")
        .first()
    )


def plan(
    *, region, contracts: int, skip: Iterable = ()
) -> list[tuple[object, FinancingPeriod, int]]:
    """(municipality, period, contracts) over the region's municipalities by their size.

    Only municipalities with a running period and groups a financing certificate can pay
    take part; the split is the same on every run, so the periods are sized for what comes.
    """
    skipped = {m.pk for m in skip}
    today = clock.today()
    rows = []
    for municipality in region.municipalities.filter(is_active=True).order_by("number"):
        if municipality.pk in skipped:
            continue
        period = _running_period(municipality, today)
        if period is None or not _groups(municipality, period).exists():
            continue
        rows.append((municipality, period))
    weights = [MUNICIPALITY_WEIGHTS.get(m.code, 1) for m, _ in rows]
    counts = proportional(contracts, weights) if rows else []
    return [(m, p, n) for (m, p), n in zip(rows, counts, strict=True) if n > 0]


def size_periods(*, region, contracts: int = REGION_CONTRACTS, skip: Iterable = ()) -> int:
    """Quota and budget of the periods raised to carry the contracts; returns how many changed.

    Only a period not yet funded can change (its money fields lock with the first commitment),
    so the seed calls this before the certificates demo funds the periods. The budget covers
    the quota at the largest nominal, as the operator's form requires.
    """
    changed = 0
    for _municipality, period, count in plan(region=region, contracts=contracts, skip=skip):
        if period.is_locked:
            continue
        quota = max(period.certificate_quota, count + QUOTA_HEADROOM)
        budget = max(period.budget_kopecks, quota * largest_nominal_kopecks(period))
        if (quota, budget) == (period.certificate_quota, period.budget_kopecks):
            continue
        changed += FinancingPeriod.objects.filter(
            pk=period.pk, commitments_started_at__isnull=True
        ).update(certificate_quota=quota, budget_kopecks=budget)
    return changed


# ------------------------------------------------------------------------- the entry point


def seed_region_contracts(
    *, region, contracts: int = REGION_CONTRACTS, skip: Iterable = (), rng_seed: int = 2026
) -> Report:
    """`contracts` active certificate-paid contracts over the region, with their children.

    Idempotent per municipality (recognised by its families' logins).
    """
    skip = list(skip)
    report = Report()
    size_periods(region=region, contracts=contracts, skip=skip)
    for municipality, period, count in plan(region=region, contracts=contracts, skip=skip):
        if User.objects.filter(username__startswith=prefix(municipality)).exists():
            report.skipped += 1
            continue
        certificates_demo.fund_period(period)
        _check_budget(municipality, period, count)
        rng = random.Random(rng_seed * 1000 + municipality.number)
        with transaction.atomic():
            _Seeder(municipality, period, count, rng, report).run()
        report.municipalities += 1
    return report


def _check_budget(municipality, period: FinancingPeriod, count: int) -> None:
    """A clear refusal instead of an overspent budget halfway through a municipality."""
    budget = ledger.get_account(kind=AccountKind.BUDGET, municipality=municipality, period=period)
    need = count * largest_nominal_kopecks(period)
    if budget.available_kopecks < need:
        raise ValueError(
            f"the budget of {period} cannot carry {count} more certificates: it was funded "
            "before the region contracts were planned (seed a fresh database)"
        )


# ------------------------------------------------------------------------------ the groups


def _groups(municipality, period: FinancingPeriod):
    """Groups a financing certificate pays for, open now, that have run since October."""
    second_month = next_month(period.starts_on)
    limited = EnrolmentLimit.objects.filter(period=period).values("provider_id")
    return (
        Group.objects.filter(
            module__program__municipality=municipality,
            module__program__is_published=True,
            module__program__enrolment_open=True,
            module__program__provider__status=Provider.Status.ACTIVE,
            module__program__certification_status=Program.Certification.CERTIFIED,
            module__program__budget_registry=Program.BudgetRegistry.NONE,
            module__program__age_from_months__isnull=False,
            module__program__age_to_months__isnull=False,
            module__price_kopecks__gt=0,
            module__normative_cost_kopecks__gt=0,
            enrolment_open=True,
            starts_on__isnull=False,
            starts_on__lte=second_month,
            ends_on__gte=period.ends_on - dt.timedelta(days=120),
            schedule__isnull=False,
        )
        .exclude(module__program__provider_id__in=limited)
        .distinct()
    )


# ------------------------------------------------------------------------------ bulk rows


class _Seeder(Children):
    def __init__(self, municipality, period: FinancingPeriod, count: int, rng, report: Report):
        self.m = municipality
        self.period = period
        self.count = count
        self.rng = rng
        self.report = report
        self.ages = list(people.AGE_WEIGHTS)
        self.age_weights = list(people.AGE_WEIGHTS.values())
        self.first_day = period.starts_on
        self.last_enrol_day = period.starts_on + dt.timedelta(days=29)
        self.type_reason = certificates_demo.reason_financing(period)
        self.year = f"{period.starts_on:%Y}"
        self.families = 0
        self.serial = 0  # children of this municipality so far
        self.provider_accounts: dict[int, int] = {}

    # -- what there is --------------------------------------------------------------------

    def load(self) -> list[BulkGroup]:
        rows = _groups(self.m, self.period).select_related("module__program").order_by("pk")
        groups = {}
        for g in rows:
            module, program = g.module, g.module.program
            groups[g.pk] = BulkGroup(
                pk=g.pk,
                module_id=module.pk,
                provider_id=program.provider_id,
                starts_on=g.starts_on,
                ends_on=min(g.ends_on, self.period.ends_on),
                whole_months=months_touched(g.starts_on, g.ends_on),
                price=module.price_kopecks,
                normative=module.normative_cost_kopecks,
                age_from=program.age_from_months,
                age_to=program.age_to_months,
                capacity=g.capacity,
                holding=0,
                lessons=[],
            )
        for group_id, weekday, parity, starts_at, ends_at in (
            ScheduleEntry.objects.filter(group_id__in=list(groups))
            .order_by("pk")
            .values_list("group_id", "weekday", "parity", "starts_at", "ends_at")
            .iterator(chunk_size=BATCH)
        ):
            groups[group_id].lessons.append(Lesson(weekday, parity, starts_at, ends_at))
        for group_id, n in (
            Application.objects.filter(group_id__in=list(groups), status__in=Application.HOLDING)
            .order_by()
            .values("group_id")
            .annotate(n=Count("pk"))
            .values_list("group_id", "n")
        ):
            groups[group_id].holding = n
        return list(groups.values())

    def allot(self, groups: list[BulkGroup]) -> None:
        """The contracts over the groups, popular and large groups getting more."""
        weights = [g.capacity * self.rng.choice(POPULARITY) * 10 for g in groups]
        for group, n in zip(
            groups, proportional(self.count, [round(w) for w in weights]), strict=True
        ):
            group.demand = n

    # -- the run --------------------------------------------------------------------------

    def run(self) -> None:
        groups = self.load()
        self.allot(groups)
        places = [g for g in groups for _ in range(g.demand)]
        self.rng.shuffle(places)
        self.expected_children = max(1, round(len(places) / (1 + SECOND / 2)))
        chunk = Chunk()
        i = 0
        while i < len(places):
            size = self.rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
            family = self._family()
            for _ in range(size):
                if i >= len(places):
                    break
                i = self._kid(chunk, family, places, i)
            if len(chunk.kids) >= CHUNK_CHILDREN:
                self.write(chunk)
                chunk = Chunk()
        if chunk.kids:
            self.write(chunk)
        self._places(groups)

    # -- writing --------------------------------------------------------------------------

    def write(self, chunk: Chunk) -> None:
        kids = chunk.kids
        User.objects.bulk_create(chunk.parents, batch_size=BATCH)
        for user, membership in zip(chunk.parents, chunk.memberships, strict=True):
            membership.user_id = user.pk
        Membership.objects.bulk_create(chunk.memberships, batch_size=BATCH)
        Child.objects.bulk_create([k.child for k in kids], batch_size=BATCH)
        Guardianship.objects.bulk_create(
            [
                Guardianship(
                    child_id=k.child.pk,
                    user_id=chunk.parents[k.family].pk,
                    relation=chunk.relations[k.family],
                    created_at=k.child.created_at,
                )
                for k in kids
            ],
            batch_size=BATCH,
        )
        for k in kids:
            parent_id = chunk.parents[k.family].pk
            k.application.child_id = k.child.pk
            k.application.parent_id = parent_id
            k.application.created_by_id = parent_id if k.online else None
        CertificateApplication.objects.bulk_create([k.application for k in kids], batch_size=BATCH)
        self._number_certificates(kids)
        for k in kids:
            k.certificate.child_id = k.child.pk
            k.certificate.application_id = k.application.pk
        Certificate.objects.bulk_create([k.certificate for k in kids], batch_size=BATCH)
        accounts = self._grant(kids)
        deals = sorted(((k, d) for k in kids for d in k.deals), key=lambda pair: pair[1].created)
        applications = [self._application(chunk, k, d) for k, d in deals]
        Application.objects.bulk_create(applications, batch_size=BATCH)
        contracts = [
            self._contract(chunk, k, d, a) for (k, d), a in zip(deals, applications, strict=True)
        ]
        Contract.objects.bulk_create(contracts, batch_size=BATCH)
        contracts_demo.number_contracts(contracts, self.period)
        reservations = self._reserve(deals, accounts)
        months = [
            ContractMonth(
                contract_id=d.contract.pk,
                month=month,
                certificate_kopecks=part,
                copay_kopecks=copay,
                reservation_id=reservations.get(contracts_demo.reserve_key(d.contract, month)),
            )
            for _, d in deals
            for month, part, copay in zip(
                d.months, d.split.certificate_months, d.split.copay_months, strict=True
            )
        ]
        ContractMonth.objects.bulk_create(months, batch_size=BATCH)
        r = self.report
        r.parents += len(chunk.parents)
        r.children += len(kids)
        r.contracts += len(contracts)
        r.months += len(months)
        r.reservations += len(reservations)
        # With DEBUG on, Django keeps the text of recent queries: megabytes of bulk INSERTs.
        reset_queries()

    def _number_certificates(self, kids: list[Kid]) -> None:
        """Numbers continue the municipality's sequence, in the order of issue."""
        m = self.m
        okato = m.region.okato
        seq, _ = NumberSequence.objects.get_or_create(municipality=m)
        seq = NumberSequence.objects.select_for_update().get(pk=seq.pk)
        last = seq.last_value
        if last + len(kids) > 999_999:
            raise ValueError("the municipality's certificate numbers would run out")
        ordered = sorted(kids, key=lambda k: k.certificate.issued_at)
        for offset, k in enumerate(ordered, start=1):
            k.certificate.number = f"{okato}{m.number:02d}{last + offset:06d}"
        NumberSequence.objects.filter(pk=seq.pk).update(last_value=last + len(kids))

    def _grant(self, kids: list[Kid]) -> dict[int, int]:
        """The nominals from the period budget, as approve_application grants them, at the
        moment of issue. Returns certificate → account id."""
        period = self.period
        budget = ledger.get_account(kind=AccountKind.BUDGET, municipality=self.m, period=period)
        with clock.frozen(min(k.certificate.issued_at for k in kids)):
            accounts = ledger.ensure_accounts(
                kind=AccountKind.CERTIFICATE,
                period=period,
                holder_ids=[k.certificate.pk for k in kids],
            )
        ledger.post_many(
            certificate_services.grant_entry(
                period=period,
                budget_id=budget.pk,
                account_id=accounts[k.certificate.pk].pk,
                certificate_id=k.certificate.pk,
                amount_kopecks=k.nominal,
                note=k.note,
                at=k.certificate.issued_at,
            )
            for k in kids
        )
        return {holder: account.pk for holder, account in accounts.items()}

    def _application(self, chunk: Chunk, k: Kid, d: Deal) -> Application:
        parent_id = chunk.parents[k.family].pk
        return Application(
            child_id=k.child.pk,
            certificate_id=k.certificate.pk,
            group_id=d.group.pk,
            provider_id=d.group.provider_id,
            municipality=self.m,
            parent_id=parent_id,
            channel=Application.Channel.IN_PERSON if d.in_person else Application.Channel.ONLINE,
            # The state apply → confirm → accept leaves an application in.
            status=Status.ENROLLED,
            copay_agreed=d.in_person or d.split.copay_kopecks > 0,
            created_at=d.created,
            # The region catalogue's providers have no staff logins: nobody to name.
            created_by_id=None if d.in_person else parent_id,
            decide_by=d.created + dt.timedelta(days=self.period.decision_days),
            decided_at=None if d.in_person else d.offered,
            status_changed_at=d.accepted,
        )

    def _contract(self, chunk: Chunk, k: Kid, d: Deal, application: Application) -> Contract:
        period = self.period
        d.contract = Contract(
            application_id=application.pk,
            child_id=k.child.pk,
            certificate_id=k.certificate.pk,
            group_id=d.group.pk,
            provider_id=d.group.provider_id,
            municipality=self.m,
            period=period,
            parent_id=chunk.parents[k.family].pk,
            funding=Contract.Funding.CERTIFICATE,
            starts_on=d.start,
            ends_on=d.group.ends_on,
            price_kopecks=d.split.price_kopecks,
            normative_kopecks=d.split.normative_kopecks,
            certificate_kopecks=d.split.certificate_kopecks,
            copay_kopecks=d.split.copay_kopecks,
            # The state the parent's acceptance leaves a contract in (services.accept).
            status=Contract.Status.ACTIVE,
            offered_at=d.offered,
            offer_expires_at=d.offered + dt.timedelta(days=period.offer_days),
            accepted_at=d.accepted,
        )
        return d.contract

    def _reserve(self, deals: list[tuple[Kid, Deal]], accounts: dict[int, int]) -> dict[str, int]:
        """One pending transfer per contract month, as services._reserve makes them, at the
        moment of acceptance. Returns key → transfer id."""
        period = self.period
        missing = sorted({d.group.provider_id for _, d in deals} - set(self.provider_accounts))
        if missing:
            with clock.frozen(min(d.accepted for _, d in deals)):
                opened = ledger.ensure_accounts(
                    kind=AccountKind.PROVIDER, period=period, holder_ids=missing
                )
            self.provider_accounts.update({h: a.pk for h, a in opened.items()})
        items = []
        for k, d in deals:
            for month, part in zip(d.months, d.split.certificate_months, strict=True):
                if part <= 0:
                    continue
                entry = ledger.Entry(
                    key=contracts_demo.reserve_key(d.contract, month),
                    kind=TransferKind.RESERVE,
                    debit_id=accounts[k.certificate.pk],
                    credit_id=self.provider_accounts[d.group.provider_id],
                    amount_kopecks=part,
                    description=contracts_demo.reservation_description(d.contract, month),
                    ref_type="contract",
                    ref_id=d.contract.pk,
                    at=d.accepted,
                )
                items.append(entry)
        return ledger.post_many_with_ids(items, pending=True)

    def _places(self, groups: list[BulkGroup]) -> None:
        """Seats count the applications holding places; capacity grows where needed (a few
        places left free in some), and a module's largest group size follows."""
        changed = []
        largest: dict[int, int] = defaultdict(int)
        for g in groups:
            if not g.demand:
                continue
            taken = g.holding + g.demand
            capacity = g.capacity
            if taken > capacity:
                capacity = taken + self.rng.choice((0, 0, 0, 1, 2, 3))
                self.report.groups_enlarged += 1
            changed.append(Group(pk=g.pk, seats_taken=taken, capacity=capacity))
            largest[g.module_id] = max(largest[g.module_id], capacity)
        Group.objects.bulk_update(changed, ["seats_taken", "capacity"], batch_size=500)
        modules = [
            Module(pk=pk, max_children=largest[pk])
            for pk, size in Module.objects.filter(pk__in=list(largest)).values_list(
                "pk", "max_children"
            )
            if largest[pk] > size
        ]
        Module.objects.bulk_update(modules, ["max_children"], batch_size=500)
