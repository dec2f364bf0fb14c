"""Region-scale active contracts for the billing benchmark (`seed_demo --scale region`), in bulk.

About 130,000 children of the Komi municipalities (Vorkuta keeps its own hand-made demo) hold
150,000 active contracts paid by their financing certificates in the groups of the region
catalogue (pfdo.demo.catalog_bulk): families with unusable logins, guardianships, approved
certificate applications, certificates whose nominal was granted from the period budget, and for
every contract its application, its months (the certificate part split with the remainder in
the last month) and one pending reservation per month in the ledger — what the services would
have written, without history, action-log rows or notifications. The contracts start with
their groups (in September, a few on 1 October) or a little later when the family enrolled
later, and run to the group's end, so October is a whole month of every one of them.

Children are written two thousand at a time, each municipality in one transaction, so memory
holds one chunk; a municipality whose families exist is skipped (idempotent). On PostgreSQL the
transfers and the contract months go in with COPY (see _Postings); elsewhere the ledger's batch
functions write them. The region catalogue marked places taken with nobody in them: in the
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
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, reset_queries, transaction
from django.db.models import CharField, Count, Value
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone

from pfdo.accounts.models import Membership, User
from pfdo.accounts.roles import Role
from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import (
    Certificate,
    CertificateApplication,
    Child,
    Guardianship,
    NumberSequence,
    age_in_months,
    eighteenth_birthday,
)
from pfdo.certificates.validators import normalize_document, pd_hash
from pfdo.common import clock
from pfdo.common.money import split_kopecks
from pfdo.demo import certificates as certificates_demo
from pfdo.demo.catalog_bulk import MUNICIPALITY_WEIGHTS
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract, ContractMonth
from pfdo.enrolment.selectors import month_label
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import largest_nominal_kopecks
from pfdo.ledger import services as ledger
from pfdo.ledger.models import Account, Transfer
from pfdo.providers.models import EnrolmentLimit, Provider

REGION_CONTRACTS = 150_000
CHUNK_CHILDREN = 2_000
BATCH = 2_000
# Room the municipality's period keeps for its other certificates (the catalogue's quota).
QUOTA_HEADROOM = 2_000
SECOND = 0.25  # children who look for a second programme (about half find one)
LATE = 0.06  # of the children with a certificate on the first day, those who enrol later
IN_PERSON = 0.35  # contracts made at the provider's office
WINDOW = 40  # places looked at for a child's second programme
# Some clubs are wanted more than others; the spread is narrow so no group grows absurd.
POPULARITY = (0.6, 0.8, 1.0, 1.0, 1.2, 1.5)
FIRST_DAY_SHARE = 0.8  # of the certificates, issued on the period's first day
ISSUE_DAYS = 11  # the rest over the next working days
BC_LETTERS = "ЕВ"  # birth certificate series letters (the certificates demo uses ЕА)

Status = Application.Status


def prefix(municipality) -> str:
    """Logins of this module's parents (never a demo login: their passwords are unusable)."""
    return f"{municipality.code}-region-"


def _moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


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


def _split(total: int, weights: list[int]) -> list[int]:
    """`total` in proportion to `weights`, the remainder to the largest ones."""
    whole = sum(weights)
    counts = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: -weights[i])
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


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
    counts = _split(contracts, weights) if rows else []
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
    budget = ledger.get_account(kind=Account.Kind.BUDGET, municipality=municipality, period=period)
    need = count * largest_nominal_kopecks(period)
    if budget.available_kopecks < need:
        raise ValueError(
            f"the budget of {period} cannot carry {count} more certificates: it was funded "
            "before the region contracts were planned (seed a fresh database)"
        )


# ------------------------------------------------------------------------------ the groups


def _groups(municipality, period: FinancingPeriod):
    """Groups a financing certificate pays for, open now, that have run since October."""
    second_month = (period.starts_on.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
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


@dataclass(eq=False)
class _Group:
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
    lessons: list[tuple[int, str, dt.time, dt.time]]
    demand: int = 0


def _overlap(a, b) -> bool:
    if a[0] != b[0]:
        return False
    if "every" not in (a[1], b[1]) and a[1] != b[1]:
        return False
    return a[2] < b[3] and b[2] < a[3]


def _clash(one: _Group, other: _Group) -> bool:
    if one.starts_on > other.ends_on or other.starts_on > one.ends_on:
        return False
    return any(_overlap(a, b) for a in one.lessons for b in other.lessons)


# ------------------------------------------------------------------------------ bulk rows

MONTH_COLUMNS = ("contract_id", "month", "certificate_kopecks", "copay_kopecks", "reservation_id")
TRANSFER_COLUMNS = (
    "id",
    "key",
    "kind",
    "phase",
    "debit_account_id",
    "credit_account_id",
    "amount_kopecks",
    "description",
    "ref_type",
    "ref_id",
    "created_at",
)
TOTALS_PER_UPDATE = 1_000
_ADD_TOTALS = (
    "UPDATE ledger_account AS a SET "
    "debits_posted_kopecks = a.debits_posted_kopecks + v.dp, "
    "credits_posted_kopecks = a.credits_posted_kopecks + v.cp, "
    "debits_pending_kopecks = a.debits_pending_kopecks + v.dn, "
    "credits_pending_kopecks = a.credits_pending_kopecks + v.cn "
    "FROM (VALUES {values}) AS v (id, dp, cp, dn, cn) WHERE a.id = v.id"
)


def _copying() -> bool:
    """COPY on PostgreSQL: a million and a half narrow rows each of months and transfers."""
    return connection.vendor == "postgresql"


def _insert(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows (values of `columns`, attribute names) of a narrow table without defaults to fill."""
    if not rows:
        return
    if not _copying():
        model.objects.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=BATCH
        )
        return
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _next_ids(model, count: int) -> list[int]:
    """`count` ids drawn from the table's own sequence (PostgreSQL), for rows sent by COPY."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


class _Postings:
    """The seed's transfers, each at its own moment, with the account totals that go with them.

    Elsewhere than PostgreSQL (tests on SQLite) through ledger.post_many, one batch per day
    stamped with that day's last moment. On PostgreSQL, with COPY and one UPDATE of the four
    totals per thousand accounts: post_many spends a statement (and a savepoint) on every
    distinct change of a total, about one per certificate here, which is most of an hour at
    region scale. The rows and totals are those post_many writes; the CHECK constraints still
    refuse an overspent account (the whole municipality then rolls back) and verify_ledger
    proves the totals. Every key is new (a municipality is written once), so there is no
    repeat to recognise.
    """

    def post(
        self, items: list[tuple[ledger.Entry, dt.datetime]], *, pending: bool, ids: bool = False
    ) -> dict[str, int]:
        """Write the entries at their moments; key → transfer id when `ids` is asked for."""
        if not items:
            return {}
        if not _copying():
            return self._post_many(items, pending=pending, ids=ids)
        phase = Transfer.Phase.PENDING if pending else Transfer.Phase.POSTED
        pks = _next_ids(Transfer, len(items))
        totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        offset = 2 if pending else 0  # debits/credits posted, then debits/credits pending
        rows = []
        for pk, (e, at) in zip(pks, items, strict=True):
            totals[e.debit_id][offset] += e.amount_kopecks
            totals[e.credit_id][offset + 1] += e.amount_kopecks
            rows.append(
                (
                    pk,
                    e.key,
                    e.kind,
                    phase,
                    e.debit_id,
                    e.credit_id,
                    e.amount_kopecks,
                    e.description,
                    e.ref_type,
                    e.ref_id,
                    at,
                )
            )
        _insert(Transfer, TRANSFER_COLUMNS, rows)
        self._add_totals(totals)
        return {e.key: pk for pk, (e, _) in zip(pks, items, strict=True)} if ids else {}

    @staticmethod
    def _add_totals(totals: dict[int, list[int]]) -> None:
        changes = sorted(totals.items())  # the ledger's lock order: ascending account ids
        with connection.cursor() as cursor:
            for start in range(0, len(changes), TOTALS_PER_UPDATE):
                part = changes[start : start + TOTALS_PER_UPDATE]
                row = "(%s::bigint, %s::bigint, %s::bigint, %s::bigint, %s::bigint)"
                statement = _ADD_TOTALS.format(values=", ".join([row] * len(part)))
                cursor.execute(statement, [v for pk, change in part for v in (pk, *change)])
                if cursor.rowcount != len(part):
                    raise RuntimeError("ledger accounts of the seed went missing")

    @staticmethod
    def _post_many(items, *, pending: bool, ids: bool) -> dict[str, int]:
        by_day: dict[dt.date, list[ledger.Entry]] = defaultdict(list)
        stamp: dict[dt.date, dt.datetime] = {}
        for e, at in items:
            day = timezone.localdate(at)
            stamp[day] = max(stamp.get(day, at), at)
            by_day[day].append(e)
        for day in sorted(by_day):
            with clock.frozen(stamp[day]):
                ledger.post_many(by_day[day], pending=pending)
        if not ids:
            return {}
        keys = [e.key for e, _ in items]
        found: dict[str, int] = {}
        for start in range(0, len(keys), ledger.CHUNK):
            chunk = keys[start : start + ledger.CHUNK]
            found.update(Transfer.objects.filter(key__in=chunk).values_list("key", "pk"))
        return found


# ------------------------------------------------------------------------------- children


@dataclass(eq=False)
class _Deal:
    group: _Group
    created: dt.datetime
    offered: dt.datetime
    accepted: dt.datetime
    in_person: bool
    start: dt.date
    months: list[dt.date]
    price: int
    normative: int
    part: int
    contract: Contract | None = None


@dataclass(eq=False)
class _Family:
    male: str  # the surname in its male form
    father: str
    son: str  # the patronymic of a son
    daughter: str
    relation: str
    index: int | None = None  # of its parent in the chunk, once the first child is made


@dataclass(eq=False)
class _Kid:
    family: int  # index of the parent in the chunk
    child: Child
    application: CertificateApplication
    certificate: Certificate
    online: bool  # the certificate application
    nominal: int
    note: str
    available: int
    deals: list[_Deal] = field(default_factory=list)


@dataclass
class _Chunk:
    parents: list[User] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    relations: list[str] = field(default_factory=list)
    kids: list[_Kid] = field(default_factory=list)


class _Seeder:
    def __init__(self, municipality, period: FinancingPeriod, count: int, rng, report: Report):
        self.m = municipality
        self.period = period
        self.count = count
        self.rng = rng
        self.report = report
        self.ages = list(certificates_demo.AGE_WEIGHTS)
        self.age_weights = list(certificates_demo.AGE_WEIGHTS.values())
        self.first_day = period.starts_on
        self.last_enrol_day = period.starts_on + dt.timedelta(days=29)
        self.type_reason = certificates_demo.reason_financing(period)
        self.year = f"{period.starts_on:%Y}"
        self.families = 0
        self.serial = 0  # children of this municipality so far
        self.provider_accounts: dict[int, int] = {}
        self.postings = _Postings()

    # -- what there is --------------------------------------------------------------------

    def load(self) -> list[_Group]:
        rows = _groups(self.m, self.period).select_related("module__program").order_by("pk")
        groups = {}
        for g in rows:
            module, program = g.module, g.module.program
            groups[g.pk] = _Group(
                pk=g.pk,
                module_id=module.pk,
                provider_id=program.provider_id,
                starts_on=g.starts_on,
                ends_on=min(g.ends_on, self.period.ends_on),
                whole_months=len(services._months(g.starts_on, g.ends_on)),
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
            groups[group_id].lessons.append((weekday, parity, starts_at, ends_at))
        for group_id, n in (
            Application.objects.filter(group_id__in=list(groups), status__in=Application.HOLDING)
            .order_by()
            .values("group_id")
            .annotate(n=Count("pk"))
            .values_list("group_id", "n")
        ):
            groups[group_id].holding = n
        return list(groups.values())

    def allot(self, groups: list[_Group]) -> None:
        """The contracts over the groups, popular and large groups getting more."""
        weights = [g.capacity * self.rng.choice(POPULARITY) * 10 for g in groups]
        for group, n in zip(groups, _split(self.count, [round(w) for w in weights]), strict=True):
            group.demand = n

    # -- the run --------------------------------------------------------------------------

    def run(self) -> None:
        groups = self.load()
        self.allot(groups)
        places = [g for g in groups for _ in range(g.demand)]
        self.rng.shuffle(places)
        self.expected_children = max(1, round(len(places) / (1 + SECOND / 2)))
        chunk = _Chunk()
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
                chunk = _Chunk()
        if chunk.kids:
            self.write(chunk)
        self._places(groups)

    def _family(self) -> _Family:
        rng = self.rng
        male = rng.choice(certificates_demo.SURNAMES)
        father, son, daughter = rng.choice(certificates_demo.FATHERS)
        relation = rng.choices(
            [
                Guardianship.Relation.MOTHER,
                Guardianship.Relation.FATHER,
                Guardianship.Relation.GUARDIAN,
            ],
            weights=(80, 18, 2),
        )[0]
        return _Family(male, father, son, daughter, relation)

    def _parent(self, chunk: _Chunk, family: _Family, joined: dt.datetime) -> int:
        rng = self.rng
        male, relation = family.male, family.relation
        if relation == Guardianship.Relation.FATHER:
            last, first = male, family.father
            patronymic = rng.choice(certificates_demo.FATHERS)[1]
        else:
            last = certificates_demo.female_surname(male)
            first = rng.choice(certificates_demo.MOTHERS)
            patronymic = rng.choice(certificates_demo.FATHERS)[2]
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
            return _moment(self.first_day, minutes // 60, minutes % 60)
        position = (share - FIRST_DAY_SHARE) / (1 - FIRST_DAY_SHARE) * ISSUE_DAYS
        day = self.first_day + dt.timedelta(days=1 + min(int(position), ISSUE_DAYS - 1))
        minutes = 9 * 60 + int((position % 1) * 8 * 60)
        return _moment(day, minutes // 60, minutes % 60)

    def _birth(self, group: _Group, on: dt.date) -> dt.date:
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
        return _add_years(on, -max(low // 12, 5)) - dt.timedelta(days=40)

    def _kid(self, chunk: _Chunk, family: _Family, places: list[_Group], i: int) -> int:
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
            joined = _moment(issue_day - dt.timedelta(days=rng.randint(16, 25)), 19)
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

    def _child(self, family: _Family, birth: dt.date, issued: dt.datetime) -> _Kid:
        rng, m = self.rng, self.m
        self.serial += 1
        serial = m.number * 100_000 + self.serial
        sex = rng.choice("mf")
        girl = sex == "f"
        if age_in_months(birth, issued.date()) >= 14 * 12:
            raw = f"87{_add_years(birth, 14).year % 100:02d} {serial % 1_000_000:06d}"
            doc_type = Child.DocumentType.PASSPORT
        else:
            roman = ("I", "II", "III")[serial // 1_000_000 % 3]
            raw = f"{roman}-{BC_LETTERS} {serial % 1_000_000:06d}"
            doc_type = Child.DocumentType.BIRTH_CERTIFICATE
        number, problem = normalize_document(doc_type, raw)
        assert problem is None, problem
        # Bodies from 600 000 000 are used by no other generator of the demo.
        snils = certificates_demo.snils(600_000_000 + serial)
        filed = issued - dt.timedelta(days=rng.randint(1, 15), hours=rng.randint(0, 3))
        online = rng.random() < 0.65
        child = Child(
            last_name=certificates_demo.female_surname(family.male) if girl else family.male,
            first_name=rng.choice(certificates_demo.GIRLS if girl else certificates_demo.BOYS),
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
        application = CertificateApplication(
            municipality=m,
            channel=(
                CertificateApplication.Channel.ONLINE
                if online
                else CertificateApplication.Channel.IN_PERSON
            ),
            wants_financing=True,
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
        return _Kid(
            family=family.index,
            child=child,
            application=application,
            certificate=certificate,
            online=online,
            nominal=nominal,
            note=note,
            available=nominal,
        )

    def _terms(self, kid: _Kid, group: _Group, day: dt.date):
        """As services.compute_terms on `day`."""
        start = max(group.starts_on, self.period.starts_on, day)
        months = services._months(start, group.ends_on)
        price = group.price * len(months) // group.whole_months
        normative = group.normative * len(months) // group.whole_months
        part = max(min(price, normative, kid.available), 0)
        return start, months, price, normative, part

    def _second(
        self, kid: _Kid, first: _Deal, places: list[_Group], i: int, day: dt.date
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
            *_, price, _normative, part = self._terms(kid, group, day)
            # A family takes a contract the certificate pays at least a fifth of.
            if part * 5 < price or part < 12:
                continue
            if _clash(first.group, group):
                continue
            return j
        return None

    def _deal(self, kid: _Kid, group: _Group, day: dt.date, *, after: dt.datetime) -> _Deal:
        """Applied on `day` (after `after`), confirmed and accepted within the terms."""
        rng = self.rng
        in_person = rng.random() < IN_PERSON
        earliest = max(after + dt.timedelta(minutes=20), _moment(day, 10))
        latest = _moment(day, 18)
        if earliest >= latest:
            earliest = after + dt.timedelta(minutes=20)
            latest = earliest + dt.timedelta(minutes=90)
        created = earliest + (latest - earliest) * rng.random()
        if in_person:  # the parent signs at the office
            offered = created + dt.timedelta(minutes=rng.randint(5, 40))
            accepted = offered + dt.timedelta(minutes=rng.randint(2, 20))
        else:  # confirmed the same evening, accepted within a day or so
            offered = min(
                created + dt.timedelta(minutes=rng.randint(30, 180)), _moment(day, 21, 30)
            )
            offered = max(offered, created + dt.timedelta(minutes=5))
            accepted = offered + dt.timedelta(minutes=rng.randint(20, 30 * 60))
        start, months, price, normative, part = self._terms(kid, group, timezone.localdate(offered))
        kid.available -= part
        return _Deal(
            group=group,
            created=created,
            offered=offered,
            accepted=accepted,
            in_person=in_person,
            start=start,
            months=months,
            price=price,
            normative=normative,
            part=part,
        )

    # -- writing --------------------------------------------------------------------------

    def write(self, chunk: _Chunk) -> None:
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
        self._number_contracts(contracts)
        reservations = self._reserve(deals, accounts)
        months = [
            (
                d.contract.pk,
                month,
                part,
                copay,
                reservations.get(services._reserve_key(d.contract, month)),
            )
            for _, d in deals
            for month, part, copay in zip(
                d.months,
                split_kopecks(d.part, len(d.months)),
                split_kopecks(d.price - d.part, len(d.months)),
                strict=True,
            )
        ]
        _insert(ContractMonth, MONTH_COLUMNS, months)
        r = self.report
        r.parents += len(chunk.parents)
        r.children += len(kids)
        r.contracts += len(contracts)
        r.months += len(months)
        r.reservations += len(reservations)
        # With DEBUG on, Django keeps the text of recent queries: megabytes of bulk INSERTs.
        reset_queries()

    def _number_certificates(self, kids: list[_Kid]) -> None:
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

    def _grant(self, kids: list[_Kid]) -> dict[int, int]:
        """The nominals from the period budget, as approve_application grants them, at the
        moment of issue. Returns certificate → account id."""
        period = self.period
        budget = ledger.get_account(kind=Account.Kind.BUDGET, municipality=self.m, period=period)
        with clock.frozen(min(k.certificate.issued_at for k in kids)):
            accounts = ledger.ensure_accounts(
                kind=Account.Kind.CERTIFICATE,
                period=period,
                holder_ids=[k.certificate.pk for k in kids],
            )
        self.postings.post(
            [
                (
                    ledger.Entry(
                        key=f"grant:p{period.pk}:c{k.certificate.pk}",
                        kind=Transfer.Kind.GRANT,
                        debit_id=budget.pk,
                        credit_id=accounts[k.certificate.pk].pk,
                        amount_kopecks=k.nominal,
                        description=f"Начисление на период «{period.name}»: {k.note}",
                        ref_type="certificate",
                        ref_id=k.certificate.pk,
                    ),
                    k.certificate.issued_at,
                )
                for k in kids
            ],
            pending=False,
        )
        return {holder: account.pk for holder, account in accounts.items()}

    def _application(self, chunk: _Chunk, k: _Kid, d: _Deal) -> Application:
        parent_id = chunk.parents[k.family].pk
        return Application(
            child_id=k.child.pk,
            certificate_id=k.certificate.pk,
            group_id=d.group.pk,
            provider_id=d.group.provider_id,
            municipality=self.m,
            parent_id=parent_id,
            channel=Application.Channel.IN_PERSON if d.in_person else Application.Channel.ONLINE,
            status=Status.ENROLLED,
            copay_agreed=d.in_person or d.price > d.part,
            created_at=d.created,
            # The region catalogue's providers have no staff logins: nobody to name.
            created_by_id=None if d.in_person else parent_id,
            decide_by=d.created + dt.timedelta(days=self.period.decision_days),
            decided_at=None if d.in_person else d.offered,
            status_changed_at=d.accepted,
        )

    def _contract(self, chunk: _Chunk, k: _Kid, d: _Deal, application: Application) -> Contract:
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
            price_kopecks=d.price,
            normative_kopecks=d.normative,
            certificate_kopecks=d.part,
            copay_kopecks=d.price - d.part,
            status=Contract.Status.ACTIVE,
            offered_at=d.offered,
            offer_expires_at=d.offered + dt.timedelta(days=period.offer_days),
            accepted_at=d.accepted,
        )
        return d.contract

    def _number_contracts(self, contracts: list[Contract]) -> None:
        """Numbers as services._offer gives them: the period's year and the id, six digits."""
        for contract in contracts:
            contract.number = f"{self.year}-{contract.pk:06d}"
        if any(c.pk >= 10**6 for c in contracts):  # LPAD would cut a seventh digit
            Contract.objects.bulk_update(contracts, ["number"], batch_size=500)
            return
        number = Concat(Value(f"{self.year}-"), LPad(Cast("pk", CharField()), 6, Value("0")))
        ids = [c.pk for c in contracts]
        for start in range(0, len(ids), ledger.CHUNK):
            Contract.objects.filter(pk__in=ids[start : start + ledger.CHUNK]).update(number=number)

    def _reserve(self, deals: list[tuple[_Kid, _Deal]], accounts: dict[int, int]) -> dict[str, int]:
        """One pending transfer per contract month, as services._reserve makes them, at the
        moment of acceptance. Returns key → transfer id."""
        period = self.period
        missing = sorted({d.group.provider_id for _, d in deals} - set(self.provider_accounts))
        if missing:
            with clock.frozen(min(d.accepted for _, d in deals)):
                opened = ledger.ensure_accounts(
                    kind=Account.Kind.PROVIDER, period=period, holder_ids=missing
                )
            self.provider_accounts.update({h: a.pk for h, a in opened.items()})
        items = []
        for k, d in deals:
            number = d.contract.number
            for month, part in zip(d.months, split_kopecks(d.part, len(d.months)), strict=True):
                if part <= 0:
                    continue
                entry = ledger.Entry(
                    key=services._reserve_key(d.contract, month),
                    kind=Transfer.Kind.RESERVE,
                    debit_id=accounts[k.certificate.pk],
                    credit_id=self.provider_accounts[d.group.provider_id],
                    amount_kopecks=part,
                    description=f"Резерв по договору № {number} за {month_label(month)}",
                    ref_type="contract",
                    ref_id=d.contract.pk,
                )
                items.append((entry, d.accepted))
        return self.postings.post(items, pending=True, ids=True)

    def _places(self, groups: list[_Group]) -> None:
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
