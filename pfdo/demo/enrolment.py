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
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Sum

from pfdo.accounts.models import User
from pfdo.catalog.models import Group, Program
from pfdo.certificates.models import Certificate
from pfdo.certificates.validators import pd_hash
from pfdo.common import clock
from pfdo.common.errors import DomainError
from pfdo.demo import certificates as certificates_demo
from pfdo.demo import enrolment_generated
from pfdo.demo.people import moment
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract, ContractMonth
from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import ProviderStaff

BATCH = 2000
Status = Application.Status


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
        enrolment_generated.seed_generated(
            municipality=municipality, period=period, rng_seed=rng_seed
        )
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
        return clock.frozen(min(moment(day, hour, minute), clock.now() - dt.timedelta(minutes=1)))

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


def _anna_robotics_code_void(c: _Ctx, certificate, group) -> None:
    """At the robotics club in person yesterday; the code was misheard over the phone until it
    was void: the demo parent sees why and confirms (or withdraws) in the cabinet."""
    staff = c.staff(group)
    day = c.today - dt.timedelta(days=1)
    with c.at(day, 17, 5):
        application = services.apply_in_person(
            actor=staff,
            certificate_number=certificate.number,
            surname=certificate.child.last_name,
            group=group,
        )
    sent = c.guardian(certificate).notifications.latest("pk").body
    code = int(re.search(r"код (\d{6})", sent).group(1))
    for n in range(1, services.code_attempts() + 1):
        with c.at(day, 17, 8 + n):
            try:
                services.confirm_with_code(
                    actor=staff, application=application, code=f"{(code + n) % 10**6:06d}"
                )
            except DomainError:
                continue  # wrong, as meant


# In the order they happened.
STEPS: list[_Step] = [
    _Step(certificates_demo.ANNA, "Школа юного художника", _anna_art_school),
    _Step(certificates_demo.MIKHAIL, "Школа вожатых", _mikhail_counsellors),
    _Step(certificates_demo.KSENIA, "Школа вожатых", _ksenia_terminated),
    _Step(certificates_demo.VARVARA, "Художественная гимнастика", _varvara_gymnastics),
    _Step(certificates_demo.DANIIL, "Хоккей", _daniil_hockey_offer),
    _Step(certificates_demo.ANNA, "Художественная гимнастика", _anna_gymnastics_new),
    _Step(certificates_demo.ANNA, "Робототехника и конструирование", _anna_robotics_code_void),
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
