"""The families, children, certificates and contract choices of the region seed (in memory).

Part of the region seed (pfdo/demo/enrolment_bulk.py): `Children` draws the families and
what each child gets, with the terms of enrolment's own pure functions (terms.py) and the
catalogue's clash rule (schedule.py); enrolment_bulk writes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from pfdo.accounts.models import Membership, User
from pfdo.accounts.roles import Role
from pfdo.catalog.schedule import dates_overlap, lessons_overlap
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import (
    Certificate,
    CertificateApplication,
    Child,
    Guardianship,
    age_in_months,
    eighteenth_birthday,
)
from pfdo.certificates.validators import child_check_hash, normalize_document, pd_hash
from pfdo.common.months import months_between
from pfdo.demo import people
from pfdo.demo.people import add_years, moment
from pfdo.enrolment.models import Contract
from pfdo.enrolment.terms import Split, prorate, split_contract
from pfdo.financing.models import FinancingPeriod

SECOND = 0.25  # children who look for a second programme (about half find one)
LATE = 0.06  # of the children with a certificate on the first day, those who enrol later
IN_PERSON = 0.35  # contracts made at the provider's office
WINDOW = 40  # places looked at for a child's second programme
FIRST_DAY_SHARE = 0.8  # of the certificates, issued on the period's first day
ISSUE_DAYS = 11  # the rest over the next working days
BC_LETTERS = "ЕВ"  # birth certificate series letters (the certificates demo uses ЕА)


def prefix(municipality) -> str:
    """Logins of the region seed's parents (never a demo login: their passwords are unusable)."""
    return f"{municipality.code}-region-"


class Lesson(NamedTuple):
    weekday: int
    parity: str
    starts_at: dt.time
    ends_at: dt.time


@dataclass(eq=False)
class BulkGroup:
    pk: int
    module_id: int
    provider_id: int
    starts_on: dt.date
    ends_on: dt.date  # clipped to the period
    whole_months: int
    price: int
    normative: int
    age_from: int
    age_to: int
    capacity: int
    holding: int  # places held by real applications before this seed
    lessons: list[Lesson]
    demand: int = 0


def clash(one: BulkGroup, other: BulkGroup) -> bool:
    """The catalogue's rule (catalog/schedule.py): dates that meet and a lesson in common."""
    if not dates_overlap(one.starts_on, one.ends_on, other.starts_on, other.ends_on):
        return False
    return any(lessons_overlap(a, b) for a in one.lessons for b in other.lessons)


@dataclass(eq=False)
class Deal:
    group: BulkGroup
    created: dt.datetime
    offered: dt.datetime
    accepted: dt.datetime
    in_person: bool
    start: dt.date
    months: list[dt.date]
    split: Split
    contract: Contract | None = None


@dataclass(eq=False)
class Family:
    male: str  # the surname in its male form
    father: str
    son: str  # the patronymic of a son
    daughter: str
    relation: str
    index: int | None = None  # of its parent in the chunk, once the first child is made


@dataclass(eq=False)
class Kid:
    family: int  # index of the parent in the chunk
    child: Child
    application: CertificateApplication
    certificate: Certificate
    online: bool  # the certificate application
    nominal: int
    note: str
    available: int
    deals: list[Deal] = field(default_factory=list)


@dataclass
class Chunk:
    parents: list[User] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    relations: list[str] = field(default_factory=list)
    kids: list[Kid] = field(default_factory=list)


class Children:
    """Draws families and children; the seeder holds rng, m, period and the counters."""

    m: object
    period: FinancingPeriod
    rng: object
    ages: list[int]
    age_weights: list[int]
    first_day: dt.date
    last_enrol_day: dt.date
    type_reason: str
    families: int
    serial: int
    expected_children: int

    def _family(self) -> Family:
        rng = self.rng
        male = rng.choice(people.SURNAMES)
        father, son, daughter = rng.choice(people.FATHERS)
        relation = rng.choices(
            [
                Guardianship.Relation.MOTHER,
                Guardianship.Relation.FATHER,
                Guardianship.Relation.GUARDIAN,
            ],
            weights=(80, 18, 2),
        )[0]
        return Family(male, father, son, daughter, relation)

    def _parent(self, chunk: Chunk, family: Family, joined: dt.datetime) -> int:
        rng = self.rng
        male, relation = family.male, family.relation
        if relation == Guardianship.Relation.FATHER:
            last, first = male, family.father
            patronymic = rng.choice(people.FATHERS)[1]
        else:
            last = people.female_surname(male)
            first = rng.choice(people.MOTHERS)
            patronymic = rng.choice(people.FATHERS)[2]
        self.families += 1
        chunk.parents.append(
            User(
                username=f"{prefix(self.m)}{self.families:06d}",
                password=make_password(None),  # unusable: not a login
                first_name=first,
                last_name=last,
                patronymic=patronymic,
                phone=f"+7 9{rng.choice('12')}2 {rng.randint(100, 999)}-{rng.randint(10, 99)}-"
                f"{rng.randint(10, 99)}",
                date_joined=joined,
            )
        )
        chunk.memberships.append(
            Membership(role=Role.PARENT, municipality=self.m, created_at=joined)
        )
        chunk.relations.append(relation)
        return len(chunk.parents) - 1

    # -- one child ------------------------------------------------------------------------

    def _issued(self) -> dt.datetime:
        """Issue moments grow with the children, so certificate numbers follow them: most on
        the period's first morning (the applications filed in August), the rest later."""
        share = min(self.serial / self.expected_children, 1.0)
        if share < FIRST_DAY_SHARE:
            minutes = 9 * 60 + 15 + int(share / FIRST_DAY_SHARE * 225)  # 09:15–13:00
            return moment(self.first_day, minutes // 60, minutes % 60)
        position = (share - FIRST_DAY_SHARE) / (1 - FIRST_DAY_SHARE) * ISSUE_DAYS
        day = self.first_day + dt.timedelta(days=1 + min(int(position), ISSUE_DAYS - 1))
        minutes = 9 * 60 + int((position % 1) * 8 * 60)
        return moment(day, minutes // 60, minutes % 60)

    def _birth(self, group: BulkGroup, on: dt.date) -> dt.date:
        """A birth date fitting the programme's ages on `on`, five at the application, and
        under eighteen until the group ends (the certificate outlives the contract)."""
        rng = self.rng
        low, high = group.age_from, group.age_to
        years = [a for a in self.ages if low <= a * 12 + 6 < high] or [max(low // 12, 5)]
        weights = [self.age_weights[self.ages.index(a)] if a in self.ages else 1 for a in years]
        filed = self.first_day - dt.timedelta(days=20)
        for _ in range(50):
            age = rng.choices(years, weights=weights)[0]
            birth = on - dt.timedelta(days=int((age + rng.random()) * 365.2425))
            months = age_in_months(birth, on)
            if (
                low <= months < high
                and age_in_months(birth, filed) >= 60
                and eighteenth_birthday(birth) > group.ends_on
            ):
                return birth
        # The programme's youngest age, to the day (its ranges span years, so this fits).
        return add_years(on, -max(low // 12, 5)) - dt.timedelta(days=40)

    def _kid(self, chunk: Chunk, family: Family, places: list[BulkGroup], i: int) -> int:
        """The child taking place `i` (and perhaps one more further on); the next index."""
        rng = self.rng
        group = places[i]
        issued = self._issued()
        issue_day = timezone.localdate(issued)
        if issue_day > self.first_day:
            applied_day = issue_day + dt.timedelta(days=rng.randint(0, 6))
        elif rng.random() < LATE:
            applied_day = issue_day + dt.timedelta(days=rng.randint(1, 6))
        else:  # the same afternoon: the contract starts with the period
            applied_day = issue_day
        applied_day = min(applied_day, self.last_enrol_day)
        birth = self._birth(group, max(group.starts_on, applied_day))
        if family.index is None:
            joined = moment(issue_day - dt.timedelta(days=rng.randint(16, 25)), 19)
            family.index = self._parent(chunk, family, joined)
        kid = self._child(family, birth, issued)
        chunk.kids.append(kid)
        i += 1
        first = self._deal(kid, group, applied_day, after=issued)
        kid.deals.append(first)
        day = timezone.localdate(first.accepted) + dt.timedelta(days=rng.randint(1, 8))
        if rng.random() < SECOND and day <= self.last_enrol_day:
            j = self._second(kid, first, places, i, day)
            if j is not None:
                places[i], places[j] = places[j], places[i]
                kid.deals.append(self._deal(kid, places[i], day, after=first.accepted))
                i += 1
        return i

    def _child(self, family: Family, birth: dt.date, issued: dt.datetime) -> Kid:
        rng, m = self.rng, self.m
        self.serial += 1
        serial = m.number * 100_000 + self.serial
        sex = rng.choice("mf")
        girl = sex == "f"
        if age_in_months(birth, issued.date()) >= 14 * 12:
            raw = f"87{add_years(birth, 14).year % 100:02d} {serial % 1_000_000:06d}"
            doc_type = Child.DocumentType.PASSPORT
        else:
            roman = ("I", "II", "III")[serial // 1_000_000 % 3]
            raw = f"{roman}-{BC_LETTERS} {serial % 1_000_000:06d}"
            doc_type = Child.DocumentType.BIRTH_CERTIFICATE
        number, problem = normalize_document(doc_type, raw)
        if problem is not None:  # the generator writes the canonical forms only
            raise RuntimeError(problem)
        # Bodies from 600 000 000 are used by no other generator of the demo.
        snils = people.snils(600_000_000 + serial)
        filed = issued - dt.timedelta(days=rng.randint(1, 15), hours=rng.randint(0, 3))
        online = rng.random() < 0.65
        child = Child(
            last_name=people.female_surname(family.male) if girl else family.male,
            first_name=rng.choice(people.GIRLS if girl else people.BOYS),
            patronymic=family.daughter if girl else family.son,
            birth_date=birth,
            sex=sex,
            document_type=doc_type,
            document_number=number,
            snils=snils,
            snils_hash=pd_hash("snils", snils),
            document_hash=pd_hash("document", number),
            municipality=m,
            has_disability=rng.random() < 0.025,
            created_at=filed,
        )
        child.check_hash = child_check_hash(child)
        application = CertificateApplication(
            municipality=m,
            channel=(
                CertificateApplication.Channel.ONLINE
                if online
                else CertificateApplication.Channel.IN_PERSON
            ),
            wants_financing=True,
            # Written in the state approve_application reaches (the certificate issued).
            status=CertificateApplication.Status.APPROVED,
            created_at=filed,
            decided_at=issued,
        )
        certificate = Certificate(
            municipality=m,
            type=Certificate.Type.FINANCING,
            type_reason=self.type_reason,
            issued_at=issued,
            valid_until=eighteenth_birthday(birth) - dt.timedelta(days=1),
        )
        nominal, note = certificate_services.nominal_amount(
            self.period, child, timezone.localdate(issued)
        )
        if nominal <= 0:
            raise ValueError(f"{self.period}: no nominal category fits a child born {birth}")
        return Kid(
            family=family.index,
            child=child,
            application=application,
            certificate=certificate,
            online=online,
            nominal=nominal,
            note=note,
            available=nominal,
        )

    def _terms(self, kid: Kid, group: BulkGroup, day: dt.date) -> tuple[dt.date, list, Split]:
        """As services.compute_terms on `day`, through the same pure functions."""
        start = max(group.starts_on, self.period.starts_on, day)
        months = months_between(start, group.ends_on)
        split = split_contract(
            price_kopecks=prorate(group.price, len(months), group.whole_months),
            normative_kopecks=prorate(group.normative, len(months), group.whole_months),
            available_kopecks=kid.available,
            months=len(months),
        )
        return start, months, split

    def _second(
        self, kid: Kid, first: Deal, places: list[BulkGroup], i: int, day: dt.date
    ) -> int | None:
        """A place further on the list, in another group the child fits on `day` and the
        rest of the certificate pays for well enough."""
        for j in range(i, min(i + WINDOW, len(places))):
            group = places[j]
            if group is first.group:
                continue
            age = age_in_months(kid.child.birth_date, max(group.starts_on, day))
            if not group.age_from <= age < group.age_to or group.ends_on >= eighteenth_birthday(
                kid.child.birth_date
            ):
                continue
            *_, split = self._terms(kid, group, day)
            # A family takes a contract the certificate pays at least a fifth of.
            part = split.certificate_kopecks
            if part * 5 < split.price_kopecks or part < 12:
                continue
            if clash(first.group, group):
                continue
            return j
        return None

    def _deal(self, kid: Kid, group: BulkGroup, day: dt.date, *, after: dt.datetime) -> Deal:
        """Applied on `day` (after `after`), confirmed and accepted within the terms."""
        rng = self.rng
        in_person = rng.random() < IN_PERSON
        earliest = max(after + dt.timedelta(minutes=20), moment(day, 10))
        latest = moment(day, 18)
        if earliest >= latest:
            earliest = after + dt.timedelta(minutes=20)
            latest = earliest + dt.timedelta(minutes=90)
        created = earliest + (latest - earliest) * rng.random()
        if in_person:  # the parent signs at the office
            offered = created + dt.timedelta(minutes=rng.randint(5, 40))
            accepted = offered + dt.timedelta(minutes=rng.randint(2, 20))
        else:  # confirmed the same evening, accepted within a day or so
            offered = min(created + dt.timedelta(minutes=rng.randint(30, 180)), moment(day, 21, 30))
            offered = max(offered, created + dt.timedelta(minutes=5))
            accepted = offered + dt.timedelta(minutes=rng.randint(20, 30 * 60))
        # A contract starts no earlier than its acceptance (issue 12, scenario 3).
        start, months, split = self._terms(kid, group, timezone.localdate(accepted))
        kid.available -= split.certificate_kopecks
        return Deal(
            group=group,
            created=created,
            offered=offered,
            accepted=accepted,
            in_person=in_person,
            start=start,
            months=months,
            split=split,
        )
