"""Applications, waitlists and contracts of a municipality's generated children, in bulk.

They get their applications, contracts, monthly schedules and reservations with
`bulk_create` and the ledger's batch functions: what the services would have written (the
same terms through enrolment/terms.py, the same schedule rule through catalog/schedule.py,
the same keys and amounts), without history rows, action-log rows or notifications. Places
are never overbooked at any moment, each certificate's reservations never exceed its
balance, and a waitlist only stands in a group that is full. The generator plans every
application first (states as plain values), then writes each row once, in the state the
services would have left it in.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from pfdo.catalog.models import Group, Program, ScheduleEntry
from pfdo.catalog.schedule import dates_overlap, lessons_overlap
from pfdo.certificates.models import Certificate, Guardianship, age_in_months
from pfdo.common import clock
from pfdo.common.months import month_start, months_between, months_touched
from pfdo.demo import certificates as certificates_demo
from pfdo.demo import literals
from pfdo.demo.enrolment_generated_rows import Rows
from pfdo.demo.people import moment
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.terms import Split, budget_split, prorate, split_contract
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import selectors as ledger_selectors
from pfdo.providers.models import Provider, ProviderStaff

BATCH = 2000
Status = Application.Status

# Shares of the generated children with a live certificate who did what.
FINANCING_FIRST = 0.95  # a contract paid by the financing certificate
FINANCING_SECOND = 0.35  # of those, a second one (often with a co-payment: the balance is low)
ACCOUNTING_FIRST = 0.7  # a free budget programme by the accounting certificate
ACCOUNTING_SECOND = 0.2
TERMINATED = 0.04  # of the contracts made, ended early
NEW_APPLICATIONS = 0.02  # filed in the last two days, waiting for the provider
OFFERS = 0.012  # confirmed by the provider, waiting for the parent
WAITLISTED_GROUPS = 0.75  # of the full groups, those with a waitlist
IN_PERSON = 0.25  # applications made at the provider's office
DRAWS = 24  # weighted draws of a group before scanning them all

_DATA = literals.load("enrolment")
PROVIDER_REASONS: list[str] = _DATA["provider_reasons"]
OPERATOR_REASONS: list[str] = _DATA["operator_reasons"]
PARENT_REASON: str = _DATA["parent_reason"]


@dataclass
class _Group:
    pk: int
    provider_id: int
    budget: bool
    starts_on: dt.date
    ends_on: dt.date
    whole_months: int
    price: int
    normative: int
    age_from: int | None
    age_to: int | None
    capacity: int
    taken: int  # places held now
    # Places the contracts made in the past may take: terminated contracts held theirs until
    # they ended, so a place they freed is only for applications made after that.
    room: int
    lessons: list[ScheduleEntry]
    weight: float
    last_change: dt.datetime | None  # the last moment a place was taken or freed


@dataclass
class _Child:
    certificate_id: int
    child_id: int
    parent_id: int
    birth: dt.date
    financing: bool
    issued: dt.datetime
    available: int
    holding: list[_Group] = field(default_factory=list)  # groups whose places it holds
    groups: set[int] = field(default_factory=set)  # every group it applied to
    last: dt.datetime | None = None  # its latest acceptance


@dataclass
class _Deal:
    """One generated application as planned: its state and moments, and its contract's terms
    if it got that far. The rows are written from it once, in their final state."""

    child: _Child
    group: _Group
    created: dt.datetime
    in_person: bool
    copay: bool
    state: str = Status.NEW  # the application's: what the services' transitions reach
    decide_by: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    status_changed_at: dt.datetime | None = None
    reason: str = ""
    # The contract (an offer made): its terms and moments.
    offered: dt.datetime | None = None
    start: dt.date | None = None
    months: list[dt.date] = field(default_factory=list)
    split: Split | None = None
    accepted: dt.datetime | None = None
    ended: dt.datetime | None = None
    terminated_by: str = ""
    application: Application | None = None
    contract: Contract | None = None

    @property
    def month_parts(self) -> list[tuple[dt.date, int, int]]:
        """(month, certificate part, co-payment) of every month of the contract."""
        return list(
            zip(self.months, self.split.certificate_months, self.split.copay_months, strict=True)
        )


def _clash(child: _Child, group: _Group) -> bool:
    """As enrolment's check: a lesson at the same time in another group the child holds,
    by the one rule of catalog/schedule.py."""
    for other in child.holding:
        if other.pk == group.pk:
            continue
        if not dates_overlap(other.starts_on, other.ends_on, group.starts_on, group.ends_on):
            continue
        if any(lessons_overlap(a, b) for a in group.lessons for b in other.lessons):
            return True
    return False


class _Generator(Rows):
    def __init__(self, municipality, period: FinancingPeriod, rng: random.Random):
        self.municipality = municipality
        self.period = period
        self.rng = rng
        self.now = clock.now()
        self.today = clock.today()
        self.deals: list[_Deal] = []
        # Groups a financing (True) or an accounting (False) certificate may join, with the
        # cumulative weights of their popularity.
        self.kinds: dict[bool, tuple[list[_Group], list[float]]] = {}
        self.staff: dict[int, int] = {}

    # -- what there is ------------------------------------------------------------------

    def load(self) -> tuple[list[_Child], list[_Group]]:
        m, period = self.municipality, self.period
        prefix = certificates_demo.generated_prefix(m)
        guardianships = Guardianship.objects.filter(
            child__municipality=m, user__username__startswith=prefix
        )
        # The first guardian of each child (as services.apply_in_person takes it).
        parents = dict(guardianships.order_by("-pk").values_list("child_id", "user_id"))
        accounts = ledger_selectors.available_by_holder(period)
        children = []
        for pk, child_id, type_, issued, birth in (
            Certificate.objects.filter(
                municipality=m,
                status=Certificate.Status.ACTIVE,
                child_id__in=guardianships.values("child_id"),
            )
            .order_by("pk")
            .values_list("pk", "child_id", "type", "issued_at", "child__birth_date")
        ):
            financing = type_ == Certificate.Type.FINANCING
            available = accounts.get(pk, 0)
            if financing and available <= 0:
                continue
            children.append(
                _Child(pk, child_id, parents[child_id], birth, financing, issued, available)
            )
        self.staff = dict(
            ProviderStaff.objects.filter(provider__municipality=m, is_active=True)
            .order_by("-pk")
            .values_list("provider_id", "user_id")
        )
        return children, self._groups()

    def _groups(self) -> list[_Group]:
        rows = (
            Group.objects.filter(
                module__program__municipality=self.municipality,
                module__program__is_published=True,
                module__program__enrolment_open=True,
                module__program__provider__status=Provider.Status.ACTIVE,
                module__price_kopecks__isnull=False,
                enrolment_open=True,
                starts_on__isnull=False,
                ends_on__gte=self.today + dt.timedelta(days=14),
            )
            .filter(
                Q(module__program__certification_status=Program.Certification.CERTIFIED)
                | ~Q(module__program__budget_registry=Program.BudgetRegistry.NONE)
            )
            .select_related("module__program")
            .order_by("pk")
        )
        lessons = defaultdict(list)
        for entry in ScheduleEntry.objects.filter(group__in=rows).order_by("pk"):
            lessons[entry.group_id].append(entry)
        # Applications that ended (a terminated contract, an expired offer, ...) may have held
        # a place until then: the contracts generated in the past must fit beside them.
        ended = dict(
            Application.objects.filter(municipality=self.municipality)
            .exclude(status__in=Application.LIVE)
            .order_by()
            .values("group_id")
            .annotate(n=Count("pk"))
            .values_list("group_id", "n")
        )
        last_taken = dict(
            Application.objects.filter(
                municipality=self.municipality, status__in=Application.HOLDING
            )
            .order_by()
            .values("group_id")
            .annotate(at=Max("created_at"))
            .values_list("group_id", "at")
        )
        last_freed = dict(
            Application.objects.filter(municipality=self.municipality)
            .exclude(status__in=Application.LIVE)
            .order_by()
            .values("group_id")
            .annotate(at=Max("status_changed_at"))
            .values_list("group_id", "at")
        )
        out = []
        for g in rows:
            if not lessons[g.pk]:
                continue
            program, module = g.module.program, g.module
            budget = program.budget_registry != Program.BudgetRegistry.NONE
            changes = [t for t in (last_taken.get(g.pk), last_freed.get(g.pk)) if t]
            out.append(
                _Group(
                    pk=g.pk,
                    provider_id=program.provider_id,
                    budget=budget,
                    starts_on=g.starts_on,
                    ends_on=min(g.ends_on, self.period.ends_on),
                    whole_months=months_touched(g.starts_on, g.ends_on),
                    price=0 if budget else module.price_kopecks,
                    normative=0 if budget else (module.normative_cost_kopecks or 0),
                    age_from=program.age_from_months,
                    age_to=program.age_to_months,
                    capacity=g.capacity,
                    taken=g.seats_taken,
                    room=max(g.capacity - g.seats_taken - ended.get(g.pk, 0), 0),
                    lessons=lessons[g.pk],
                    # Some clubs are wanted by everyone, some by few.
                    weight=self.rng.choice([0.3, 0.6, 1.0, 1.0, 1.0, 1.5, 2.5, 5.0]),
                    last_change=max(changes) if changes else None,
                )
            )
        return out

    # -- choosing -----------------------------------------------------------------------

    def fits(self, child: _Child, group: _Group, when: dt.datetime, day: dt.date) -> bool:
        """The preconditions services.check_preconditions would check at `when` (on `day`)."""
        if group.pk in child.groups or group.budget == child.financing or when <= child.issued:
            return False
        age = age_in_months(child.birth, max(group.starts_on, day))
        if (group.age_from is not None and age < group.age_from) or (
            group.age_to is not None and age >= group.age_to
        ):
            return False
        if max(group.starts_on, self.period.starts_on, day) > group.ends_on:
            return False
        if not child.financing and len(child.holding) >= self.period.accounting_program_limit:
            return False
        return not _clash(child, group)

    def pick(
        self, child: _Child, groups: list[_Group], when: dt.datetime, *, past: bool
    ) -> _Group | None:
        """A group the child may join at `when`, popular groups more likely. A few weighted
        draws find one fast in a large catalogue; a full scan settles the rest."""
        day = timezone.localdate(when)
        if child.financing not in self.kinds:
            kind = [g for g in groups if g.budget != child.financing]
            self.kinds[child.financing] = (kind, list(itertools.accumulate(g.weight for g in kind)))
        kind, cumulative = self.kinds[child.financing]
        if not kind:
            return None

        def free(g: _Group) -> bool:
            return g.room > 0 if past else g.taken < g.capacity

        for g in self.rng.choices(kind, cum_weights=cumulative, k=DRAWS):
            if free(g) and self.fits(child, g, when, day):
                return g
        options = [g for g in kind if free(g) and self.fits(child, g, when, day)]
        if not options:
            return None
        return self.rng.choices(options, weights=[g.weight for g in options])[0]

    def terms(self, child: _Child, group: _Group, day: dt.date) -> tuple[dt.date, list, Split]:
        """As services.compute_terms on `day`, through the same pure functions: months
        clipped to the group and the period, price and normative cost for those months, the
        certificate part and the rest."""
        start = max(group.starts_on, self.period.starts_on, day)
        months = months_between(start, group.ends_on)
        if group.budget:
            return start, months, budget_split(len(months))
        split = split_contract(
            price_kopecks=prorate(group.price, len(months), group.whole_months),
            normative_kopecks=prorate(group.normative, len(months), group.whole_months),
            available_kopecks=child.available,
            months=len(months),
        )
        return start, months, split

    def moment(self, day: dt.date, *, evening: bool = False) -> dt.datetime:
        hour = self.rng.randint(17, 22) if evening else self.rng.randint(9, 17)
        return moment(day, hour, self.rng.randint(0, 59))

    def day(self, lo: dt.date, hi: dt.date) -> dt.date:
        return lo + dt.timedelta(days=self.rng.randint(0, max((hi - lo).days, 0)))

    # -- contracts made in the past -------------------------------------------------------

    def enrol_past(self, children: list[_Child], groups: list[_Group]) -> None:
        rng = self.rng
        latest = self.today - dt.timedelta(days=6)
        for child in children:
            first, second = (
                (FINANCING_FIRST, FINANCING_SECOND)
                if child.financing
                else (ACCOUNTING_FIRST, ACCOUNTING_SECOND)
            )
            if rng.random() >= first:
                continue
            earliest = max(
                timezone.localdate(child.issued) + dt.timedelta(days=1), self.period.starts_on
            )
            if earliest > latest:
                continue
            # Most families apply in the first weeks, when the clubs start.
            hi = min(latest, earliest + dt.timedelta(days=20)) if rng.random() < 0.7 else latest
            self.contract_in_past(child, groups, self.day(earliest, hi), latest)
            if child.last is not None and rng.random() < second:
                after = timezone.localdate(child.last) + dt.timedelta(days=3)
                if after <= latest:
                    self.contract_in_past(child, groups, self.day(after, latest), latest)

    def contract_in_past(
        self, child: _Child, groups: list[_Group], day: dt.date, latest: dt.date
    ) -> None:
        """Applied on `day`, confirmed within the decision term, accepted within the offer
        term, all before `latest`; the certificate part reserved."""
        rng, period = self.rng, self.period
        in_person = rng.random() < IN_PERSON
        created = self.moment(day, evening=not in_person)
        group = self.pick(child, groups, created, past=True)
        if group is None:
            return
        if in_person:  # the parent confirms on the spot or the same day
            offered = created + dt.timedelta(hours=rng.randint(0, 8))
        else:
            hours = max(24 * period.decision_days - 1, 1)
            offered = created + dt.timedelta(hours=rng.randint(1, hours))
        accepted = offered + dt.timedelta(
            hours=rng.randint(0 if in_person else 1, max(24 * period.offer_days - 1, 1))
        )
        if timezone.localdate(accepted) > latest:
            return
        # A contract starts no earlier than its acceptance (issue 12, scenario 3).
        start, months, split = self.terms(child, group, timezone.localdate(accepted))
        # A family takes a contract the certificate pays at least a fifth of.
        if not group.budget and split.certificate_kopecks * 5 < split.price_kopecks:
            return
        deal = self.deal(child, group, created, in_person=in_person, split=split)
        # Applied, confirmed (an offer), accepted: services.accept leaves it enrolled.
        deal.state = Status.ENROLLED
        deal.decided_at = None if in_person else offered
        deal.status_changed_at = accepted
        self.offer(deal, start, months, split, offered)
        deal.accepted = accepted
        child.available -= split.certificate_kopecks
        child.holding.append(group)
        child.last = accepted
        group.room -= 1
        group.taken += 1
        self._changed(group, created)

    def deal(self, child, group, created, *, in_person: bool, split: Split) -> _Deal:
        deal = _Deal(
            child=child,
            group=group,
            created=created,
            in_person=in_person,
            copay=split.copay_kopecks > 0,
            decide_by=created + dt.timedelta(days=self.period.decision_days),
            status_changed_at=created,
        )
        child.groups.add(group.pk)
        self.deals.append(deal)
        return deal

    def offer(self, deal: _Deal, start: dt.date, months: list, split: Split, offered) -> None:
        deal.offered = offered
        deal.start = start
        deal.months = months
        deal.split = split

    def _changed(self, group: _Group, at: dt.datetime) -> None:
        group.last_change = max(group.last_change or at, at)

    # -- terminations -------------------------------------------------------------------

    def terminate_some(self) -> None:
        rng = self.rng
        latest = self.today - dt.timedelta(days=3)
        for deal in list(self.deals):
            if deal.offered is None or rng.random() >= TERMINATED:
                continue
            first = max(timezone.localdate(deal.accepted), deal.start) + dt.timedelta(days=10)
            if first > latest:
                continue
            ended = self.moment(self.day(first, latest))
            roll = rng.random()
            if roll < 0.65:
                by, reason = Contract.TerminatedBy.PARENT, PARENT_REASON
            elif roll < 0.95:
                by, reason = Contract.TerminatedBy.PROVIDER, rng.choice(PROVIDER_REASONS)
            else:
                by, reason = Contract.TerminatedBy.OPERATOR, rng.choice(OPERATOR_REASONS)
            # services.terminate: the contract and its application end together.
            deal.state = Status.TERMINATED
            deal.terminated_by = by
            deal.reason = reason
            deal.status_changed_at = ended
            deal.ended = ended
            # The month in progress stays reserved for billing; later months come back.
            cutoff = month_start(ended.date())
            deal.child.available += sum(c for m, c, _ in deal.month_parts if m > cutoff)
            deal.child.holding.remove(deal.group)
            deal.group.taken -= 1
            self._changed(deal.group, ended)

    # -- what is waiting now --------------------------------------------------------------

    def recent(self, children: list[_Child], groups: list[_Group]) -> None:
        """New applications waiting for providers and offers waiting for parents: made inside
        their terms, so no deadline has passed yet."""
        rng, period = self.rng, self.period
        pool = list(children)
        rng.shuffle(pool)
        new = round(len(pool) * NEW_APPLICATIONS)
        offers = round(len(pool) * OFFERS)
        decide = dt.timedelta(days=period.decision_days)
        accept = dt.timedelta(days=period.offer_days)
        made = 0
        for child in pool:
            if made == new + offers:
                break
            offer = made >= new
            if offer:
                offered = self.now - accept * rng.uniform(0.05, 0.9)
                created = offered - decide * rng.uniform(0.05, 0.9)
            else:
                offered = None
                created = self.now - decide * rng.uniform(0.02, 0.9)
            group = self.pick(child, groups, created, past=False)
            if group is None:
                continue
            day = timezone.localdate(offered or created)
            start, months, split = self.terms(child, group, day)
            if not group.budget and split.certificate_kopecks * 5 < split.price_kopecks:
                continue
            deal = self.deal(child, group, created, in_person=False, split=split)
            if offered is not None:
                # Confirmed by the provider (services.confirm): an offer waits for the parent.
                deal.state = Status.OFFERED
                deal.decided_at = offered
                deal.status_changed_at = offered
                self.offer(deal, start, months, split, offered)
            child.holding.append(group)
            group.taken += 1
            self._changed(group, created)
            made += 1

    def waitlists(self, children: list[_Child], groups: list[_Group]) -> None:
        """Some full groups get a waitlist, in order of arrival after the last place went."""
        rng = self.rng
        full = [g for g in groups if g.taken >= g.capacity]
        rng.shuffle(full)
        pool = list(children)
        for group in full[: round(len(full) * WAITLISTED_GROUPS)]:
            since = group.last_change or self.now - dt.timedelta(days=30)
            if since >= self.now - dt.timedelta(minutes=30):
                continue
            wanted = rng.randint(1, 5)
            moments = sorted(
                since + (self.now - since) * rng.uniform(0.05, 0.95) for _ in range(wanted)
            )
            rng.shuffle(pool)
            for child in pool:
                if not moments:
                    break
                if not self.fits(child, group, moments[0], timezone.localdate(moments[0])):
                    continue
                when = moments.pop(0)
                *_, split = self.terms(child, group, timezone.localdate(when))
                deal = self.deal(child, group, when, in_person=False, split=split)
                # Filed into a full group: services.apply waitlists it, with no decision term.
                deal.state = Status.WAITLISTED
                deal.decide_by = None


def seed_generated(*, municipality, period: FinancingPeriod, rng_seed: int = 2026) -> int:
    """Applications and contracts of the generated children of `municipality`.

    Written once per municipality (recognised by applications of the generated parents);
    returns how many applications were written now.
    """
    prefix = certificates_demo.generated_prefix(municipality)
    if Application.objects.filter(
        municipality=municipality, parent__username__startswith=prefix
    ).exists():
        return 0
    rng = random.Random(rng_seed * 100 + municipality.number + 7)
    generator = _Generator(municipality, period, rng)
    with transaction.atomic():
        children, groups = generator.load()
        if not children or not groups:
            return 0
        rng.shuffle(children)
        generator.enrol_past(children, groups)
        generator.terminate_some()
        generator.recent(children, groups)
        generator.waitlists(children, groups)
        generator.save()
    return len(generator.deals)
