"""Demo children, families and certificates: a few families through the services, the rest in bulk.

The hand-written families (the demo parent's two children, a switch queue, open applications,
a suspension, a cancellation) go through the real services at believable past moments, so the
action history, notifications and ledger look as the system makes them. The generated children
of a municipality are written with `bulk_create`, and their money with the ledger's batch
functions: what the services would have written, without history rows, action-log rows,
notifications or password hashes (the generated parents are not logins). Every type reason
and status reason is true of its certificate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from pfdo.accounts.models import User
from pfdo.certificates import services
from pfdo.certificates.models import (
    Certificate,
    CertificateApplication,
    Child,
    SwitchRequest,
)
from pfdo.certificates.validators import pd_hash
from pfdo.common import clock
from pfdo.demo import literals
from pfdo.demo.certificates_generated import (
    CANCELLATION_REASONS,
    EXPIRY_REASON,
    REASON_BY_CHOICE,
    REASON_NO_PERIOD,
    REJECTION_REASONS,
    SUSPENSION_REASONS,
    generated_prefix,
    period_running,
    plan,
    reason_financing,
    seed_generated,
)
from pfdo.demo.people import (
    AGE_WEIGHTS,
    BOYS,
    FATHERS,
    GIRLS,
    MOTHERS,
    SURNAMES,
    add_years,
    female_surname,
    moment,
    snils,
)
from pfdo.financing.models import FinancingPeriod

_DATA = literals.load("certificates")

# Names other demo modules and the tests read from here.
__all__ = [
    "AGE_WEIGHTS",
    "BOYS",
    "CANCELLATION_REASONS",
    "EXPIRY_REASON",
    "FATHERS",
    "GIRLS",
    "MOTHERS",
    "REASON_BY_CHOICE",
    "REASON_NO_PERIOD",
    "REJECTION_REASONS",
    "SURNAMES",
    "SUSPENSION_REASONS",
    "Summary",
    "add_years",
    "female_surname",
    "fund_period",
    "generated_prefix",
    "moment",
    "period_running",
    "plan",
    "reason_financing",
    "seed_certificates",
    "seed_families",
    "seed_generated",
    "snils",
    "summary",
]

BATCH = 2000

# -------------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Summary:
    """What the demo of one municipality holds (for the seed command and the README)."""

    children: int
    financing: int  # live (active or suspended): they hold places in the quota
    accounting: int  # live
    suspended: int
    cancelled: int
    expired: int
    applied: int
    verified: int
    waiting_switches: int
    quota: int


def summary(*, municipality, period: FinancingPeriod | None) -> Summary:
    by = defaultdict(int)
    for type_, status, n in (
        Certificate.objects.filter(municipality=municipality)
        .order_by()
        .values_list("type", "status")
        .annotate(n=Count("pk"))
        .values_list("type", "status", "n")
    ):
        by[type_, status] += n
    apps = dict(
        CertificateApplication.objects.filter(
            municipality=municipality, status__in=CertificateApplication.OPEN
        )
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )

    def live(type_: str) -> int:
        return by[type_, "active"] + by[type_, "suspended"]

    def status(name: str) -> int:
        return sum(n for (_, s), n in by.items() if s == name)

    return Summary(
        children=Child.objects.filter(municipality=municipality).count(),
        financing=live("financing"),
        accounting=live("accounting"),
        suspended=status("suspended"),
        cancelled=status("cancelled"),
        expired=status("expired"),
        applied=apps.get("applied", 0),
        verified=apps.get("verified", 0),
        waiting_switches=SwitchRequest.objects.filter(
            municipality=municipality, status=SwitchRequest.Status.WAITING
        ).count(),
        quota=period.certificate_quota if period else 0,
    )


# ------------------------------------------------------------------------- the entry point


def seed_certificates(
    *, municipality, period: FinancingPeriod, operator: User, parent: User, children: int = 0
) -> Summary:
    """The hand-written families of the demo, then `children` generated children (0: none).

    Idempotent: a family whose first child exists is skipped, and the generated children are
    written only once per municipality.
    """
    fund_period(period)
    seed_families(municipality=municipality, period=period, operator=operator, parent=parent)
    seed_generated(municipality=municipality, period=period, operator=operator, children=children)
    return summary(municipality=municipality, period=period)


def fund_period(period: FinancingPeriod) -> None:
    """The period's budget moved from the appropriation on its first day (the service the
    first grant calls, so the grant finds it done), and its commitments marked started."""
    if not period_running(period, clock.today()) or period.budget_kopecks <= 0:
        return
    at = min(moment(period.starts_on, 9), clock.now())
    with clock.frozen(at), transaction.atomic():
        services.fund_period(actor=None, period=period)


# ----------------------------------------------------------------- families through services


def _kid(row: dict) -> dict:
    return {**row, "birth_date": dt.date.fromisoformat(row["birth_date"])}


# The demo parent (login "parent", Иванова Мария Петровна) has two children: one with a
# financing certificate, one with an accounting certificate chosen by the family. KIRILL's
# birth certificate number is Артём Кузнецов's (a typo, or the same child under another
# СНИЛС): the operator sees the application flagged as a duplicate with the reason ("ребёнок
# уже имеет сертификат № …") and a one-click rejection; Артём's family got a letter.
_CHILDREN = {name: _kid(row) for name, row in _DATA["children"].items()}
ANNA, MIKHAIL, DANIIL, KSENIA, ARTYOM = (
    _CHILDREN[n] for n in ("ANNA", "MIKHAIL", "DANIIL", "KSENIA", "ARTYOM")
)
VARVARA, EGOR, ALISA, TIMOFEY, KIRILL = (
    _CHILDREN[n] for n in ("VARVARA", "EGOR", "ALISA", "TIMOFEY", "KIRILL")
)


@dataclass
class _Ctx:
    municipality: object
    period: FinancingPeriod
    operator: User
    parent: User
    start: dt.date  # the period's first day
    today: dt.date

    def at(self, day: dt.date, hour: int, minute: int = 0):
        """Freeze the clock at that moment (never later than now)."""
        return clock.frozen(min(moment(day, hour, minute), clock.now() - dt.timedelta(minutes=1)))

    def register(self, last, first, patronymic, *, phone, by_operator: bool) -> User:
        return services.register_parent(
            actor=self.operator if by_operator else None,
            municipality=self.municipality,
            last_name=last,
            first_name=first,
            patronymic=patronymic,
            phone=phone,
        )

    def apply(self, parent, kid, *, in_person=False, wants_financing=True, relation="mother"):
        return services.apply_for_certificate(
            actor=self.operator if in_person else parent,
            municipality=self.municipality,
            parent=parent,
            child=kid,
            relation=relation,
            wants_financing=wants_financing,
            channel=(
                CertificateApplication.Channel.IN_PERSON
                if in_person
                else CertificateApplication.Channel.ONLINE
            ),
        )

    def approve(self, application) -> Certificate:
        return services.approve_application(
            actor=self.operator, application=application
        ).certificate


def _demo_parent(c: _Ctx) -> None:
    with c.at(c.start + dt.timedelta(days=2), 19, 40):
        anna = c.apply(c.parent, ANNA)
        mikhail = c.apply(c.parent, MIKHAIL, wants_financing=False)
    with c.at(c.start + dt.timedelta(days=6), 10, 15):
        c.approve(anna)
        c.approve(mikhail)


def _before_period_in_person(c: _Ctx) -> None:
    """Issued before the period (accounting: no approved programme then); the switch waits.

    It waits because no period ran on the day it was filed. Free places go to the switch
    queue before new applicants (issue 12), so the first certificate issued once the period
    runs fulfils these two requests, oldest first: the family sees its request fulfilled.
    """
    day = c.start - dt.timedelta(days=15)
    with c.at(day, 11, 20):
        parent = c.register(
            "Петрова", "Елена", "Викторовна", phone="+7 912 171-24-08", by_operator=True
        )
        application = c.apply(parent, DANIIL, in_person=True)
    with c.at(day, 11, 40):
        certificate = c.approve(application)
    with c.at(c.start - dt.timedelta(days=8), 19, 5):
        services.request_switch(actor=parent, certificate=certificate)


def _before_period_online(c: _Ctx) -> None:
    with c.at(c.start - dt.timedelta(days=22), 20, 15):
        parent = c.register(
            "Сидорова", "Ольга", "Николаевна", phone="+7 912 958-30-61", by_operator=False
        )
        application = c.apply(parent, KSENIA)
    with c.at(c.start - dt.timedelta(days=19), 10, 0):
        certificate = c.approve(application)
    with c.at(c.start - dt.timedelta(days=5), 21, 30):
        services.request_switch(actor=parent, certificate=certificate)


def _suspended_financing(c: _Ctx) -> None:
    day = c.start + dt.timedelta(days=9)
    with c.at(day, 12, 0):
        parent = c.register(
            "Кузнецов", "Игорь", "Валентинович", phone="+7 922 274-11-93", by_operator=True
        )
        application = c.apply(parent, ARTYOM, in_person=True, relation="father")
    with c.at(day, 12, 20):
        certificate = c.approve(application)
    with c.at(c.start + dt.timedelta(days=43), 15, 0):
        services.suspend_certificate(
            actor=c.operator, certificate=certificate, reason=SUSPENSION_REASONS[0]
        )


def _disability_financing(c: _Ctx) -> None:
    with c.at(c.start + dt.timedelta(days=14), 18, 0):
        parent = c.register(
            "Смирнова", "Татьяна", "Алексеевна", phone="+7 912 503-77-15", by_operator=False
        )
        application = c.apply(parent, VARVARA)
    with c.at(c.start + dt.timedelta(days=16), 9, 30):
        c.approve(application)


def _cancelled_accounting(c: _Ctx) -> None:
    day = c.start + dt.timedelta(days=17)
    with c.at(day, 14, 10):
        parent = c.register(
            "Морозова", "Ирина", "Сергеевна", phone="+7 922 310-58-42", by_operator=True
        )
        application = c.apply(parent, EGOR, in_person=True, wants_financing=False)
    with c.at(day, 14, 30):
        certificate = c.approve(application)
    # An accounting certificate: cancelling it frees no quota place, so the waiting switch
    # requests above stay in the queue.
    with c.at(c.start + dt.timedelta(days=59), 16, 10):
        services.cancel_certificate(
            actor=c.operator,
            certificate=certificate,
            reason="Семья переехала в Сыктывкар (заявление законного представителя)",
        )


def _verified_application(c: _Ctx) -> None:
    with c.at(c.today - dt.timedelta(days=9), 11, 0):
        parent = c.register(
            "Волкова", "Анастасия", "Игоревна", phone="+7 912 640-19-27", by_operator=True
        )
        application = c.apply(parent, ALISA, in_person=True)
    with c.at(c.today - dt.timedelta(days=6), 10, 30):
        services.verify_application(actor=c.operator, application=application)


def _new_application(c: _Ctx) -> None:
    with c.at(c.today - dt.timedelta(days=4), 21, 10):
        parent = c.register(
            "Лебедева", "Юлия", "Олеговна", phone="+7 912 722-45-60", by_operator=False
        )
        c.apply(parent, TIMOFEY)


def _possible_duplicate(c: _Ctx) -> None:
    with c.at(c.today - dt.timedelta(days=2), 20, 45):
        parent = c.register(
            "Павлова", "Светлана", "Юрьевна", phone="+7 922 815-03-38", by_operator=False
        )
        c.apply(parent, KIRILL)


# (the family's first child, how it is made), in the order they happened.
FAMILIES: list[tuple[dict, Callable[[_Ctx], None]]] = [
    (KSENIA, _before_period_online),
    (DANIIL, _before_period_in_person),
    (ANNA, _demo_parent),
    (ARTYOM, _suspended_financing),
    (VARVARA, _disability_financing),
    (EGOR, _cancelled_accounting),
    (ALISA, _verified_application),
    (TIMOFEY, _new_application),
    (KIRILL, _possible_duplicate),
]


def seed_families(*, municipality, period: FinancingPeriod, operator: User, parent: User) -> int:
    """The hand-written families; returns how many were made now (0 on a re-run)."""
    ctx = _Ctx(
        municipality=municipality,
        period=period,
        operator=operator,
        parent=parent,
        start=period.starts_on,
        today=clock.today(),
    )
    made = 0
    for first_child, make in FAMILIES:
        key = pd_hash("snils", first_child["snils"])
        if Child.objects.filter(
            municipality__region_id=municipality.region_id, snils_hash=key
        ).exists():
            continue
        with transaction.atomic():
            make(ctx)
        made += 1
    return made


# ------------------------------------------------------------------------ generated in bulk
