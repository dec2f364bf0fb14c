"""Demo applications, waitlists and contracts: a few families through the services, the rest in bulk.

The hand-written families of the certificates demo (the demo parent's two children and a few
more) apply, are confirmed, accept and terminate through the real services at believable past
moments, so the action history, notifications and ledger look as the system makes them. The
generated children of a municipality get their applications, contracts, monthly schedules and
reservations with `bulk_create` and the ledger's batch functions: what the services would have
written (the same terms, keys and amounts), without history rows, action-log rows or
notifications. Places are never overbooked at any moment, each certificate's reservations never
exceed its balance, and a waitlist only stands in a group that is full.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import CharField, Count, F, Max, Q, Sum, Value
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone

from pfdo.accounts.models import User
from pfdo.catalog.models import Group, Program, ScheduleEntry
from pfdo.certificates.models import Certificate, Guardianship, age_in_months
from pfdo.certificates.validators import pd_hash
from pfdo.common import clock
from pfdo.common.errors import DomainError
from pfdo.common.money import split_kopecks
from pfdo.demo import certificates as certificates_demo
from pfdo.demo import literals
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract, ContractMonth
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import services as ledger
from pfdo.ledger.models import Account, Transfer
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


def _moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _period_running(period: FinancingPeriod | None, today: dt.date) -> bool:
    """Enrolment makes a believable demo once the period has run a few weeks."""
    return (
        period is not None
        and period.status == FinancingPeriod.Status.APPROVED
        and period.starts_on + dt.timedelta(days=45)
        <= today
        <= period.ends_on - dt.timedelta(days=period.freeze_days)
    )


# -------------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Summary:
    """What the enrolment demo of one municipality holds (for the seed command and tests)."""

    active_certificate: int  # active contracts paid by a financing certificate
    active_budget: int  # active contracts in budget programmes (accounting certificates)
    with_copay: int  # active contracts with a family co-payment
    terminated: int
    new_applications: int  # waiting for the provider's decision
    offers: int  # contracts offered, waiting for the parent
    waitlisted: int
    full_groups: int
    reserved_kopecks: int

    @property
    def active(self) -> int:
        return self.active_certificate + self.active_budget


def summary(*, municipality) -> Summary:
    contracts = Contract.objects.filter(municipality=municipality)
    by = dict(
        contracts.filter(status=Contract.Status.ACTIVE)
        .order_by()
        .values("funding")
        .annotate(n=Count("pk"))
        .values_list("funding", "n")
    )
    statuses = dict(
        contracts.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    applications = dict(
        Application.objects.filter(municipality=municipality)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    reserved = ContractMonth.objects.filter(
        contract__municipality=municipality,
        contract__status=Contract.Status.ACTIVE,
        reservation_id__isnull=False,
    ).aggregate(total=Sum("certificate_kopecks"))["total"]
    return Summary(
        active_certificate=by.get(Contract.Funding.CERTIFICATE, 0),
        active_budget=by.get(Contract.Funding.BUDGET, 0),
        with_copay=contracts.filter(status=Contract.Status.ACTIVE, copay_kopecks__gt=0).count(),
        terminated=statuses.get(Contract.Status.TERMINATED, 0),
        new_applications=applications.get(Status.NEW, 0),
        offers=statuses.get(Contract.Status.OFFERED, 0),
        waitlisted=applications.get(Status.WAITLISTED, 0),
        full_groups=Group.objects.filter(
            module__program__municipality=municipality, seats_taken__gte=F("capacity")
        ).count(),
        reserved_kopecks=reserved or 0,
    )


# ------------------------------------------------------------------------- the entry point


def seed_enrolment(
    *, municipality, period: FinancingPeriod | None, rng_seed: int = 2026
) -> Summary:
    """The hand-written families' applications and contracts, then the generated children's.

    Idempotent: a hand-written step whose application exists is skipped, and the generated
    contracts are written only once per municipality. Nothing happens outside a running period.
    """
    if _period_running(period, clock.today()):
        seed_families(municipality=municipality, period=period)
        seed_generated(municipality=municipality, period=period, rng_seed=rng_seed)
    return summary(municipality=municipality)


# ----------------------------------------------------------------- families through services


@dataclass
class _Ctx:
    municipality: object
    period: FinancingPeriod
    start: dt.date
    today: dt.date

    def at(self, day: dt.date, hour: int, minute: int = 0):
        """Freeze the clock at that moment (never later than a minute ago)."""
        return clock.frozen(min(_moment(day, hour, minute), clock.now() - dt.timedelta(minutes=1)))

    def certificate(self, kid: dict) -> Certificate | None:
        return (
            Certificate.objects.filter(
                child__municipality__region_id=self.municipality.region_id,
                child__snils_hash=pd_hash("snils", kid["snils"]),
                status=Certificate.Status.ACTIVE,
            )
            .select_related("child", "municipality")
            .first()
        )

    def group(self, program_name: str, number: int = 1) -> Group | None:
        # The hand-written programme (created first), not a generated one of the same title.
        program = (
            Program.objects.filter(municipality=self.municipality, name=program_name)
            .order_by("pk")
            .first()
        )
        if program is None:
            return None
        groups = list(Group.objects.filter(module__program=program).order_by("pk")[:number])
        return groups[number - 1] if len(groups) == number else None

    def staff(self, group: Group) -> User | None:
        row = (
            ProviderStaff.objects.filter(
                provider_id=group.module.program.provider_id, is_active=True
            )
            .select_related("user")
            .order_by("-is_admin", "pk")
            .first()
        )
        return row.user if row else None

    @staticmethod
    def guardian(certificate: Certificate) -> User:
        return certificate.child.guardians.order_by("pk").first()


@dataclass(frozen=True)
class _Step:
    """One hand-written family's enrolment: the child, the group, and how it went."""

    kid: dict
    program: str
    make: Callable[[_Ctx, Certificate, Group], None]
    group_number: int = 1


def _enrol(c: _Ctx, certificate, group, *, applied: dt.date, hour: int, copay: bool = False):
    """Apply online, confirmed the next morning, accepted that evening; returns the contract."""
    parent = c.guardian(certificate)
    with c.at(applied, hour, 10):
        application = services.apply(
            actor=parent, certificate=certificate, group=group, copay_agreed=copay
        )
    with c.at(applied + dt.timedelta(days=1), 10, 30):
        contract = services.confirm(actor=c.staff(group), application=application)
    with c.at(applied + dt.timedelta(days=1), 19, 45):
        return services.accept(actor=parent, contract=contract)


def _anna_art_school(c: _Ctx, certificate, group) -> None:
    """The demo parent's financing child: a contract since September, its money reserved."""
    _enrol(c, certificate, group, applied=c.start + dt.timedelta(days=8), hour=20)


def _mikhail_counsellors(c: _Ctx, certificate, group) -> None:
    """The demo parent's accounting child in a free budget programme."""
    _enrol(c, certificate, group, applied=c.start + dt.timedelta(days=9), hour=18)


def _ksenia_terminated(c: _Ctx, certificate, group) -> None:
    contract = _enrol(c, certificate, group, applied=c.start + dt.timedelta(days=12), hour=17)
    with c.at(c.today - dt.timedelta(days=18), 21, 5):
        services.terminate(actor=c.guardian(certificate), contract=contract)


def _varvara_gymnastics(c: _Ctx, certificate, group) -> None:
    """«Полярный код»'s contract with a co-payment: the price is above the normative cost."""
    _enrol(c, certificate, group, applied=c.start + dt.timedelta(days=29), hour=18, copay=True)


def _daniil_hockey_offer(c: _Ctx, certificate, group) -> None:
    """An offer waiting for the parent (a budget programme: nothing to pay)."""
    with c.at(c.today - dt.timedelta(days=2), 19, 0):
        application = services.apply(
            actor=c.guardian(certificate), certificate=certificate, group=group
        )
    with c.at(c.today - dt.timedelta(days=1), 11, 30):
        services.confirm(actor=c.staff(group), application=application)


def _anna_gymnastics_new(c: _Ctx, certificate, group) -> None:
    """The demo parent's application «Полярный код» has to decide; the rest of the balance
    covers part of it, the family agreed to pay the difference."""
    with c.at(c.today - dt.timedelta(days=1), 20, 15):
        services.apply(
            actor=c.guardian(certificate), certificate=certificate, group=group, copay_agreed=True
        )


CD = certificates_demo
# In the order they happened.
STEPS: list[_Step] = [
    _Step(CD.ANNA, "Школа юного художника", _anna_art_school),
    _Step(CD.MIKHAIL, "Школа вожатых", _mikhail_counsellors),
    _Step(CD.KSENIA, "Школа вожатых", _ksenia_terminated),
    _Step(CD.VARVARA, "Художественная гимнастика", _varvara_gymnastics),
    _Step(CD.DANIIL, "Хоккей", _daniil_hockey_offer),
    _Step(CD.ANNA, "Художественная гимнастика", _anna_gymnastics_new),
]


def seed_families(*, municipality, period: FinancingPeriod) -> int:
    """The hand-written families' enrolments; returns how many were made now (0 on a re-run)."""
    ctx = _Ctx(
        municipality=municipality, period=period, start=period.starts_on, today=clock.today()
    )
    made = 0
    for step in STEPS:
        certificate = ctx.certificate(step.kid)
        group = ctx.group(step.program, step.group_number)
        if certificate is None or group is None:
            continue
        if Application.objects.filter(child_id=certificate.child_id, group=group).exists():
            continue
        try:
            with transaction.atomic():
                step.make(ctx, certificate, group)
        except DomainError:
            # The data changed since the demo was first seeded (a full group, a suspended
            # certificate, a clash with what the family did): that step is left out.
            continue
        made += 1
    return made


# ------------------------------------------------------------------------ generated in bulk


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
    """One generated application and, if it got that far, its contract."""

    child: _Child
    group: _Group
    application: Application
    contract: Contract | None = None
    months: list[tuple[dt.date, int, int]] = field(default_factory=list)
    accepted: dt.datetime | None = None
    ended: dt.datetime | None = None


def _overlap(a: ScheduleEntry, b: ScheduleEntry) -> bool:
    if a.weekday != b.weekday:
        return False
    if "every" not in (a.parity, b.parity) and a.parity != b.parity:
        return False
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def _clash(child: _Child, group: _Group) -> bool:
    """As services._clash: a lesson at the same time in another group the child holds."""
    for other in child.holding:
        if other.pk == group.pk:
            continue
        if other.starts_on > group.ends_on or other.ends_on < group.starts_on:
            continue
        if any(_overlap(a, b) for a in group.lessons for b in other.lessons):
            return True
    return False


class _Generator:
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
        accounts = {
            holder: credits - debits - pending
            for holder, credits, debits, pending in Account.objects.filter(
                kind=Account.Kind.CERTIFICATE, period=period
            ).values_list(
                "holder_id",
                "credits_posted_kopecks",
                "debits_posted_kopecks",
                "debits_pending_kopecks",
            )
        }
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
                    whole_months=len(services._months(g.starts_on, g.ends_on)),
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

    def terms(self, child: _Child, group: _Group, day: dt.date):
        """As services.compute_terms on `day`: months clipped to the group and the period,
        price and normative cost for those months, the certificate part and the rest."""
        start = max(group.starts_on, self.period.starts_on, day)
        months = services._months(start, group.ends_on)
        price = group.price * len(months) // group.whole_months
        normative = group.normative * len(months) // group.whole_months
        part = 0 if group.budget else max(min(price, normative, child.available), 0)
        return start, months, price, normative, part

    def moment(self, day: dt.date, *, evening: bool = False) -> dt.datetime:
        hour = self.rng.randint(17, 22) if evening else self.rng.randint(9, 17)
        return _moment(day, hour, self.rng.randint(0, 59))

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
        start, months, price, normative, part = self.terms(
            child, group, timezone.localdate(offered)
        )
        # A family takes a contract the certificate pays at least a fifth of.
        if not group.budget and part * 5 < price:
            return
        deal = self.deal(child, group, created, in_person=in_person, copay=price > part)
        deal.application.status = Status.ENROLLED
        deal.application.decided_at = None if in_person else offered
        deal.application.status_changed_at = accepted
        self.contract(deal, start, months, price, normative, part, offered)
        deal.contract.status = Contract.Status.ACTIVE
        deal.contract.accepted_at = accepted
        deal.accepted = accepted
        child.available -= part
        child.holding.append(group)
        child.last = accepted
        group.room -= 1
        group.taken += 1
        self._changed(group, created)

    def deal(self, child, group, created, *, in_person: bool, copay: bool) -> _Deal:
        application = Application(
            child_id=child.child_id,
            certificate_id=child.certificate_id,
            group_id=group.pk,
            provider_id=group.provider_id,
            municipality=self.municipality,
            parent_id=child.parent_id,
            channel=Application.Channel.IN_PERSON if in_person else Application.Channel.ONLINE,
            copay_agreed=copay or in_person,
            created_at=created,
            created_by_id=self.staff.get(group.provider_id) if in_person else child.parent_id,
            decide_by=created + dt.timedelta(days=self.period.decision_days),
            status_changed_at=created,
        )
        child.groups.add(group.pk)
        deal = _Deal(child=child, group=group, application=application)
        self.deals.append(deal)
        return deal

    def contract(self, deal: _Deal, start, months, price, normative, part, offered) -> None:
        period = self.period
        deal.contract = Contract(
            child_id=deal.child.child_id,
            certificate_id=deal.child.certificate_id,
            group_id=deal.group.pk,
            provider_id=deal.group.provider_id,
            municipality=self.municipality,
            period=period,
            parent_id=deal.child.parent_id,
            funding=Contract.Funding.BUDGET if deal.group.budget else Contract.Funding.CERTIFICATE,
            starts_on=start,
            ends_on=deal.group.ends_on,
            price_kopecks=price,
            normative_kopecks=normative,
            certificate_kopecks=part,
            copay_kopecks=price - part,
            offered_at=offered,
            offer_expires_at=offered + dt.timedelta(days=period.offer_days),
        )
        deal.months = list(
            zip(
                months,
                split_kopecks(part, len(months)),
                split_kopecks(price - part, len(months)),
                strict=True,
            )
        )

    def _changed(self, group: _Group, at: dt.datetime) -> None:
        group.last_change = max(group.last_change or at, at)

    # -- terminations -------------------------------------------------------------------

    def terminate_some(self) -> None:
        rng = self.rng
        latest = self.today - dt.timedelta(days=3)
        for deal in list(self.deals):
            contract = deal.contract
            if contract is None or rng.random() >= TERMINATED:
                continue
            first = max(timezone.localdate(deal.accepted), contract.starts_on) + dt.timedelta(
                days=10
            )
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
            contract.status = Contract.Status.TERMINATED
            contract.ended_at = ended
            contract.terminated_by = by
            contract.termination_reason = reason
            deal.application.status = Status.TERMINATED
            deal.application.reason = reason
            deal.application.status_changed_at = ended
            deal.ended = ended
            # The month in progress stays reserved for billing; later months come back.
            cutoff = ended.date().replace(day=1)
            deal.child.available += sum(c for m, c, _ in deal.months if m > cutoff)
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
            start, months, price, normative, part = self.terms(child, group, day)
            if not group.budget and part * 5 < price:
                continue
            deal = self.deal(child, group, created, in_person=False, copay=price > part)
            if offered is not None:
                deal.application.status = Status.OFFERED
                deal.application.decided_at = offered
                deal.application.status_changed_at = offered
                self.contract(deal, start, months, price, normative, part, offered)
            else:
                deal.application.status = Status.NEW
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
                *_, price, _normative, part = self.terms(child, group, timezone.localdate(when))
                deal = self.deal(child, group, when, in_person=False, copay=price > part)
                deal.application.status = Status.WAITLISTED
                deal.application.decide_by = None

    # -- writing --------------------------------------------------------------------------

    def save(self) -> None:
        # Rows in the order they happened, so ids and contract numbers grow with time.
        deals = sorted(self.deals, key=lambda d: d.application.created_at)
        Application.objects.bulk_create([d.application for d in deals], batch_size=BATCH)
        with_contract = [d for d in deals if d.contract is not None]
        for d in with_contract:
            d.contract.application_id = d.application.pk
        Contract.objects.bulk_create([d.contract for d in with_contract], batch_size=BATCH)
        self._number([d.contract for d in with_contract])
        reservations = self._reserve([d for d in with_contract if d.accepted is not None])
        ContractMonth.objects.bulk_create(
            [
                ContractMonth(
                    contract_id=d.contract.pk,
                    month=month,
                    certificate_kopecks=part,
                    copay_kopecks=copay,
                    reservation_id=reservations.get(services._reserve_key(d.contract, month)),
                )
                for d in with_contract
                for month, part, copay in d.months
            ],
            batch_size=BATCH,
        )
        self._release([d for d in with_contract if d.ended is not None], reservations)
        taken: dict[int, int] = defaultdict(int)
        for d in deals:
            if d.application.status in Application.HOLDING:
                taken[d.group.pk] += 1
        for group_id, n in sorted(taken.items()):
            Group.objects.filter(pk=group_id).update(seats_taken=F("seats_taken") + n)

    def _number(self, contracts: list[Contract]) -> None:
        """Numbers as services._offer gives them: the period's year and the id, six digits."""
        year = f"{self.period.starts_on:%Y}"
        for contract in contracts:
            contract.number = f"{year}-{contract.pk:06d}"
        if any(c.pk >= 10**6 for c in contracts):  # LPAD would cut a seventh digit
            Contract.objects.bulk_update(contracts, ["number"], batch_size=500)
            return
        number = Concat(Value(f"{year}-"), LPad(Cast("pk", CharField()), 6, Value("0")))
        ids = [c.pk for c in contracts]
        for start in range(0, len(ids), ledger.CHUNK):
            Contract.objects.filter(pk__in=ids[start : start + ledger.CHUNK]).update(number=number)

    def _reserve(self, deals: list[_Deal]) -> dict[str, int]:
        """One pending transfer per contract month, as services._reserve makes them; one
        batch per day of acceptance, stamped with its last acceptance."""
        period = self.period
        certificates = ledger.ensure_accounts(
            kind=Account.Kind.CERTIFICATE,
            period=period,
            holder_ids=sorted({d.child.certificate_id for d in deals}),
        )
        providers = ledger.ensure_accounts(
            kind=Account.Kind.PROVIDER,
            period=period,
            holder_ids=sorted({d.group.provider_id for d in deals}),
        )
        by_day: dict[dt.date, list[ledger.Entry]] = defaultdict(list)
        stamp: dict[dt.date, dt.datetime] = {}
        keys = []
        for d in deals:
            day = timezone.localdate(d.accepted)
            stamp[day] = max(stamp.get(day, d.accepted), d.accepted)
            for month, part, _ in d.months:
                if part <= 0:
                    continue
                key = services._reserve_key(d.contract, month)
                keys.append(key)
                by_day[day].append(
                    ledger.Entry(
                        key=key,
                        kind=Transfer.Kind.RESERVE,
                        debit_id=certificates[d.child.certificate_id].pk,
                        credit_id=providers[d.group.provider_id].pk,
                        amount_kopecks=part,
                        description=(
                            f"Резерв по договору № {d.contract.number} за "
                            f"{services.month_label(month)}"
                        ),
                        ref_type="contract",
                        ref_id=d.contract.pk,
                    )
                )
        for day in sorted(by_day):
            with clock.frozen(stamp[day]):
                ledger.post_many(by_day[day], pending=True)
        found: dict[str, int] = {}
        for start in range(0, len(keys), ledger.CHUNK):
            chunk = keys[start : start + ledger.CHUNK]
            found.update(Transfer.objects.filter(key__in=chunk).values_list("key", "pk"))
        return found

    def _release(self, deals: list[_Deal], reservations: dict[str, int]) -> None:
        """Terminated contracts: the months after the month of termination voided, as
        services._release_reservations does, one batch per day of termination."""
        by_day: dict[dt.date, list[ledger.Resolution]] = defaultdict(list)
        stamp: dict[dt.date, dt.datetime] = {}
        for d in deals:
            day = timezone.localdate(d.ended)
            stamp[day] = max(stamp.get(day, d.ended), d.ended)
            cutoff = day.replace(day=1)
            for month, part, _ in d.months:
                if month <= cutoff or part <= 0:
                    continue
                pending = reservations[services._reserve_key(d.contract, month)]
                by_day[day].append(
                    ledger.Resolution(
                        key=f"release:{pending}",
                        pending_id=pending,
                        amount_kopecks=0,
                        description=f"Возврат резерва по договору № {d.contract.number}",
                    )
                )
        for day in sorted(by_day):
            with clock.frozen(stamp[day]):
                ledger.post_pending_many(by_day[day])


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
