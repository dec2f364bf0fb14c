"""A municipality's generated children, families, applications and certificates, in bulk.

Written with `bulk_create`, and their money with the ledger's batch functions: what the
services would have written, without history rows, action-log rows, notifications or
password hashes (the generated parents are not logins). Every type reason and status reason
is true of its certificate, and every row goes in once, in the state the services would
have left it in.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from pfdo.accounts.models import Membership, User
from pfdo.accounts.roles import Role
from pfdo.certificates import services
from pfdo.certificates.models import (
    Certificate,
    CertificateApplication,
    Child,
    Guardianship,
    NumberSequence,
    age_in_months,
    eighteenth_birthday,
)
from pfdo.certificates.validators import child_check_hash, normalize_document, pd_hash
from pfdo.common import clock
from pfdo.demo import literals
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
from pfdo.ledger import services as ledger
from pfdo.ledger.selectors import AccountKind, TransferKind

BATCH = 2000

_DATA = literals.load("certificates")

# The type reasons the services give (services.approve_application / _financing_place); a
# test checks that the generated certificates carry exactly the texts the services wrote.
REASON_BY_CHOICE: str = _DATA["reason_by_choice"]
REASON_NO_PERIOD: str = _DATA["reason_no_period"]


def reason_financing(period: FinancingPeriod) -> str:
    return f"Сертификат финансирования: есть место в квоте периода «{period.name}»."


SUSPENSION_REASONS: list[str] = _DATA["suspension_reasons"]
CANCELLATION_REASONS: list[str] = _DATA["cancellation_reasons"]
REJECTION_REASONS: list[str] = _DATA["rejection_reasons"]
EXPIRY_REASON: str = _DATA["expiry_reason"]


def period_running(period: FinancingPeriod | None, today: dt.date) -> bool:
    return (
        period is not None
        and period.status == FinancingPeriod.Status.APPROVED
        and period.starts_on <= today <= period.ends_on
    )


def generated_prefix(municipality) -> str:
    """Logins of the generated parents (never a demo login: their passwords are unusable)."""
    return f"{municipality.code}-demo-"


# What becomes of a generated child.
FIN = "financing"  # live financing certificate
CHOICE = "choice"  # accounting by the family's choice
BEFORE = "before"  # accounting, issued before the period (no approved programme then)
EXPIRED = "expired"  # accounting issued before the period; the child has turned 18 since
FIN_CANCELLED = "fin_cancelled"
ACC_CANCELLED = "acc_cancelled"
APPLIED = "applied"
VERIFIED = "verified"
REJECTED = "rejected"


@dataclass
class _Plan:
    kind: str
    suspended: bool = False


def plan(children: int, *, financing_room: int, running: bool) -> list[_Plan]:
    """The fates of `children` generated children (before shuffling)."""
    applied = max(1, children // 150)
    verified = max(1, children // 300)
    rejected = max(1, children // 500)
    fin_cancelled = max(1, children // 600) if running else 0
    acc_cancelled = max(1, children // 1000)
    expired = max(1, children // 1000) if running else 0
    rest = children - applied - verified - rejected - fin_cancelled - acc_cancelled - expired
    if rest < 2:
        raise ValueError("too few generated children for a believable demo (at least 12)")
    fin = max(0, min(rest * 3 // 5, financing_room)) if running else 0
    accounting = rest - fin
    before = accounting * 11 // 20 if running else accounting
    choice = accounting - before
    plans = (
        [_Plan(APPLIED)] * applied
        + [_Plan(VERIFIED)] * verified
        + [_Plan(REJECTED)] * rejected
        + [_Plan(FIN_CANCELLED)] * fin_cancelled
        + [_Plan(ACC_CANCELLED)] * acc_cancelled
        + [_Plan(EXPIRED)] * expired
    )
    fin_suspended = min(fin, max(1, fin // 120)) if fin else 0
    acc_suspended = min(accounting, max(1, accounting // 120))
    plans += [_Plan(FIN, suspended=i < fin_suspended) for i in range(fin)]
    plans += [_Plan(BEFORE, suspended=i < acc_suspended) for i in range(before)]
    plans += [_Plan(CHOICE) for _ in range(choice)]
    return [_Plan(p.kind, p.suspended) for p in plans]


class _Dates:
    """Random but possible dates: a child applies at 5 or later, a financing certificate is
    issued inside the period, nothing happens after today."""

    def __init__(self, rng: random.Random, start: dt.date, today: dt.date, running: bool):
        self.rng = rng
        self.start = start
        self.today = today
        self.running = running
        self.ages = list(AGE_WEIGHTS)
        self.weights = list(AGE_WEIGHTS.values())

    def day(self, lo: dt.date, hi: dt.date) -> dt.date:
        return lo + dt.timedelta(days=self.rng.randint(0, max((hi - lo).days, 0)))

    def moment(self, day: dt.date, *, evening: bool = False) -> dt.datetime:
        hour = self.rng.randint(8, 22) if evening else self.rng.randint(9, 17)
        return moment(day, hour, self.rng.randint(0, 59))

    def birth(self, kind: str) -> dt.date:
        t, rng = self.today, self.rng
        if kind == EXPIRED:
            # The 18th birthday fell between the period's start and yesterday.
            first = add_years(self.start, -18) + dt.timedelta(days=1)
            last = add_years(t, -18) - dt.timedelta(days=1)
            return self.day(first, max(first, last))
        for _ in range(1000):
            age = rng.choices(self.ages, weights=self.weights)[0]
            birth = t - dt.timedelta(days=int((age + rng.random()) * 365.2425))
            months = age_in_months(birth, t)
            fifth = add_years(birth, 5)
            if not 60 <= months < 216 or eighteenth_birthday(birth) <= t:
                continue
            # Old enough to have applied a week before the earliest possible issue.
            earliest = self.window(kind, birth)[0]
            if earliest is not None and fifth + dt.timedelta(days=7) <= earliest:
                return birth
        raise RuntimeError("no birth date fits")  # pragma: no cover - the windows are wide

    def window(self, kind: str, birth: dt.date) -> tuple[dt.date | None, dt.date]:
        """(first, last) possible issue (or filing) day of a child born on `birth`."""
        t, s = self.today, self.start
        fifth_plus = add_years(birth, 5) + dt.timedelta(days=7)
        yesterday = t - dt.timedelta(days=1)
        if kind in (FIN, FIN_CANCELLED):
            last = yesterday if kind == FIN else t - dt.timedelta(days=10)
            first = max(s, fifth_plus)
        elif kind in (BEFORE, EXPIRED):
            last = min(s, t) - dt.timedelta(days=1)
            first = max(s - dt.timedelta(days=400 if kind == EXPIRED else 200), fifth_plus)
        elif kind == APPLIED:
            first, last = t - dt.timedelta(days=14), yesterday
        elif kind == VERIFIED:
            first, last = t - dt.timedelta(days=20), t - dt.timedelta(days=3)
        else:  # CHOICE, ACC_CANCELLED, REJECTED
            last = t - dt.timedelta(days=10) if kind != CHOICE else yesterday
            first = max(min(s, t) - dt.timedelta(days=200), fifth_plus)
        if first > last:
            return None, last
        return first, last

    def issue_day(self, kind: str, birth: dt.date) -> dt.date:
        first, last = self.window(kind, birth)
        if first is None:  # birth_date() draws only children whose window is open
            raise RuntimeError(f"no issue day fits a child born {birth} ({kind})")
        if kind in (FIN, FIN_CANCELLED) and self.rng.random() < 0.7:
            # Most families apply in September, when the clubs start.
            last = min(last, first + dt.timedelta(days=29))
        return self.day(first, last)


def seed_generated(
    *,
    municipality,
    period: FinancingPeriod | None,
    operator: User,
    children: int,
    rng_seed: int = 2026,
) -> int:
    """`children` generated children with their families, applications and certificates.

    Written once per municipality (recognised by the generated parents' logins); returns how
    many children were written now.
    """
    if children <= 0:
        return 0
    if User.objects.filter(username__startswith=generated_prefix(municipality)).exists():
        return 0
    today = clock.today()
    if period is not None:
        period = FinancingPeriod.objects.prefetch_related("nominal_categories").get(pk=period.pk)
    running = period_running(period, today) and period.starts_on <= today - dt.timedelta(days=12)
    room = 0
    if running:
        taken = Certificate.objects.filter(
            municipality=municipality, type=Certificate.Type.FINANCING, status__in=Certificate.LIVE
        ).count()
        # Leave an eighth of the quota free: the demo shows a quota partly used.
        room = period.certificate_quota - taken - period.certificate_quota // 8
    rng = random.Random(rng_seed * 100 + municipality.number)
    plans = plan(children, financing_room=room, running=running)
    rng.shuffle(plans)
    dates = _Dates(rng, period.starts_on if period else today, today, running)
    with transaction.atomic():
        _Writer(municipality, period, operator, rng, dates).write(plans)
    return children


class _Writer:
    def __init__(self, municipality, period, operator, rng: random.Random, dates: _Dates):
        self.municipality = municipality
        self.period = period
        self.operator = operator
        self.rng = rng
        self.dates = dates
        self.now = clock.now()

    # -- rows in memory --------------------------------------------------------------

    def write(self, plans: list[_Plan]) -> None:
        rng, m = self.rng, self.municipality
        prefix = generated_prefix(m)
        parents: list[User] = []
        memberships: list[Membership] = []
        children: list[Child] = []
        guardianships: list[tuple[int, int, str]] = []  # (child index, parent index, relation)
        applications: list[CertificateApplication] = []
        certificates: list[tuple[int, Certificate]] = []  # (child index, row)
        i = 0
        while i < len(plans):
            size = min(rng.choices((1, 2, 3), weights=(60, 30, 10))[0], len(plans) - i)
            family = plans[i : i + size]
            parent_index = len(parents)
            male = rng.choice(SURNAMES)
            father, son_patronymic, daughter_patronymic = rng.choice(FATHERS)
            relation = rng.choices(
                [
                    Guardianship.Relation.MOTHER,
                    Guardianship.Relation.FATHER,
                    Guardianship.Relation.GUARDIAN,
                ],
                weights=(80, 18, 2),
            )[0]
            first_moment = None
            for p in family:
                index = len(children)
                sex = rng.choice("mf")
                child = self._child(index, p, sex, male, son_patronymic, daughter_patronymic)
                children.append(child)
                guardianships.append((index, parent_index, relation))
                application, certificate = self._decide(child, p)
                applications.append(application)
                if certificate is not None:
                    certificates.append((index, certificate))
                first_moment = min(first_moment or application.created_at, application.created_at)
            parents.append(self._parent(parent_index, prefix, relation, male, father, first_moment))
            memberships.append(
                Membership(role=Role.PARENT, municipality=m, created_at=first_moment)
            )
            i += size
        self._save(parents, memberships, children, guardianships, applications, certificates)

    def _parent(self, n, prefix, relation, male, father, joined) -> User:
        rng = self.rng
        if relation == Guardianship.Relation.FATHER:
            last, first = male, father
            patronymic = rng.choice(FATHERS)[1]
        else:
            last, first = female_surname(male), rng.choice(MOTHERS)
            patronymic = rng.choice(FATHERS)[2]
        return User(
            username=f"{prefix}{n + 1:05d}",
            password=make_password(None),  # unusable: not a login
            first_name=first,
            last_name=last,
            patronymic=patronymic,
            phone=f"+7 9{rng.choice('12')}2 {rng.randint(100, 999)}-{rng.randint(10, 99)}-"
            f"{rng.randint(10, 99)}",
            date_joined=joined,
        )

    def _child(self, index, p: _Plan, sex, male, son_patronymic, daughter_patronymic) -> Child:
        rng, m = self.rng, self.municipality
        birth = self.dates.birth(p.kind)
        # Unique over the region (municipality number, child index) and never one of the
        # hand-written families' numbers (100101–100109).
        serial = m.number * 45_000 + index
        digits = f"{100_200 + serial * 7919 % 899_700:06d}"
        if age_in_months(birth, self.dates.today) >= 14 * 12:
            # A passport from 14 (series: Komi's 87 and the year it was issued).
            raw = f"87{add_years(birth, 14).year % 100:02d} {digits}"
            doc_type = Child.DocumentType.PASSPORT
        else:
            raw = f"{rng.choice(('I', 'II', 'III'))}-ЕА {digits}"
            doc_type = Child.DocumentType.BIRTH_CERTIFICATE
        number, problem = normalize_document(doc_type, raw)
        if problem is not None:  # the generator writes the canonical forms only
            raise RuntimeError(problem)
        snils_digits = snils(150_000_000 + m.number * 1_000_000 + index * 37)
        girl = sex == "f"
        child = Child(
            last_name=female_surname(male) if girl else male,
            first_name=rng.choice(GIRLS if girl else BOYS),
            patronymic=daughter_patronymic if girl else son_patronymic,
            birth_date=birth,
            sex=sex,
            document_type=doc_type,
            document_number=number,
            snils=snils_digits,
            snils_hash=pd_hash("snils", snils_digits),
            document_hash=pd_hash("document", number),
            municipality=m,
            has_disability=rng.random() < 0.025,
        )
        child.check_hash = child_check_hash(child)
        return child

    def _decide(self, child: Child, p: _Plan):
        """The child's application and, if one was issued, certificate (numbers come later)."""
        rng, d = self.rng, self.dates
        kind = p.kind
        channel = rng.choices(
            [
                CertificateApplication.Channel.ONLINE,
                CertificateApplication.Channel.IN_PERSON,
                CertificateApplication.Channel.IMPORT,
            ],
            weights=(65, 30, 5),
        )[0]
        online = channel == CertificateApplication.Channel.ONLINE
        day = d.issue_day(kind, child.birth_date)
        wants = kind not in (CHOICE,) and not (
            kind == ACC_CANCELLED and day >= d.start and d.running
        )
        # Each row goes in once, in the state the services leave it in (see the comments).
        made = {
            "municipality": self.municipality,
            "channel": channel,
            "wants_financing": wants,
            "created_by": None if online else self.operator,  # the parent, set once saved
        }
        if kind in (APPLIED, VERIFIED):
            # Filed (and, VERIFIED, checked by the operator); nobody has decided yet.
            application = CertificateApplication(
                **made, status=kind, created_at=d.moment(day, evening=online)
            )
            child.created_at = application.created_at
            return application, None
        filed_day = max(day - dt.timedelta(days=rng.randint(1, 5)), add_years(child.birth_date, 5))
        made["created_at"] = d.moment(filed_day, evening=online)
        decided = d.moment(day)
        if decided <= made["created_at"]:
            decided = made["created_at"] + dt.timedelta(hours=1)
        made.update(decided_at=decided, decided_by=self.operator)
        child.created_at = made["created_at"]
        if kind == REJECTED:
            # services.reject_application: refused with its reason.
            application = CertificateApplication(
                **made,
                status=CertificateApplication.Status.REJECTED,
                reason=rng.choice(REJECTION_REASONS),
            )
            return application, None
        # services.approve_application: approved, and the certificate issued.
        application = CertificateApplication(**made, status=CertificateApplication.Status.APPROVED)
        if kind in (FIN, FIN_CANCELLED):
            type_, reason = Certificate.Type.FINANCING, reason_financing(self.period)
        elif wants:
            type_, reason = Certificate.Type.ACCOUNTING, REASON_NO_PERIOD
        else:
            type_, reason = Certificate.Type.ACCOUNTING, REASON_BY_CHOICE
        # What became of the certificate since: the state expire / cancel / suspend leave.
        state: dict = {}
        if kind == EXPIRED:
            state = {
                "status": Certificate.Status.EXPIRED,
                "status_reason": EXPIRY_REASON,
                "status_changed_at": moment(eighteenth_birthday(child.birth_date), 3),
            }
        elif kind in (FIN_CANCELLED, ACC_CANCELLED):
            state = {
                "status": Certificate.Status.CANCELLED,
                "status_reason": rng.choice(CANCELLATION_REASONS),
            }
            state["status_changed_at"] = self._later(decided)
        elif p.suspended:
            state = {
                "status": Certificate.Status.SUSPENDED,
                "status_reason": rng.choice(SUSPENSION_REASONS),
            }
            state["status_changed_at"] = self._later(decided)
        certificate = Certificate(
            municipality=self.municipality,
            type=type_,
            type_reason=reason,
            issued_at=decided,
            valid_until=eighteenth_birthday(child.birth_date) - dt.timedelta(days=1),
            **state,
        )
        return application, certificate

    def _later(self, after: dt.datetime) -> dt.datetime:
        """A moment some days after `after`, before now."""
        day = after.date() + dt.timedelta(days=self.rng.randint(5, 60))
        latest = self.dates.today - dt.timedelta(days=1)
        moment = self.dates.moment(min(day, latest))
        return moment if moment > after else after + dt.timedelta(hours=2)

    # -- writing -----------------------------------------------------------------------

    def _save(self, parents, memberships, children, guardianships, applications, certificates):
        User.objects.bulk_create(parents, batch_size=BATCH)
        for user, membership in zip(parents, memberships, strict=True):
            membership.user_id = user.pk
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        Child.objects.bulk_create(children, batch_size=BATCH)
        Guardianship.objects.bulk_create(
            [
                Guardianship(
                    child_id=children[c].pk,
                    user_id=parents[p].pk,
                    relation=relation,
                    created_at=children[c].created_at,
                )
                for c, p, relation in guardianships
            ],
            batch_size=BATCH,
        )
        for application, (c, p, _) in zip(applications, guardianships, strict=True):
            application.child_id = children[c].pk
            application.parent_id = parents[p].pk
            if application.created_by_id is None:
                application.created_by_id = parents[p].pk
        CertificateApplication.objects.bulk_create(applications, batch_size=BATCH)
        by_child = {a.child_id: a for a in applications}
        rows = []
        for c, certificate in certificates:
            child = children[c]
            certificate.child_id = child.pk
            certificate.application_id = by_child[child.pk].pk
            certificate._child = child  # for the nominal below
            rows.append(certificate)
        rows.sort(key=lambda r: (r.issued_at, r.child_id))
        self._number(rows)
        Certificate.objects.bulk_create(rows, batch_size=BATCH)
        self._grant(rows)

    def _number(self, rows: list[Certificate]) -> None:
        """Numbers continue the municipality's sequence, which then points at the last one."""
        m = self.municipality
        okato = m.region.okato
        seq, _ = NumberSequence.objects.get_or_create(municipality=m)
        seq = NumberSequence.objects.select_for_update().get(pk=seq.pk)
        last = seq.last_value
        if last + len(rows) > 999_999:
            raise ValueError("the municipality's certificate numbers would run out")
        for offset, row in enumerate(rows, start=1):
            row.number = f"{okato}{m.number:02d}{last + offset:06d}"
        NumberSequence.objects.filter(pk=seq.pk).update(last_value=last + len(rows))

    def _grant(self, rows: list[Certificate]) -> None:
        """The nominals of the financing certificates, as approve_application grants them (on
        the day of issue), and the unreserved money of cancelled ones back to the budget."""
        period = self.period
        financed = [r for r in rows if r.type == Certificate.Type.FINANCING]
        if not financed:
            return
        budget = ledger.get_account(
            kind=AccountKind.BUDGET, municipality=self.municipality, period=period
        )
        accounts = ledger.ensure_accounts(
            kind=AccountKind.CERTIFICATE, period=period, holder_ids=[r.pk for r in financed]
        )
        grants: dict[dt.date, list[ledger.Entry]] = defaultdict(list)
        revokes: dict[dt.date, list[ledger.Entry]] = defaultdict(list)
        last_moment: dict[dt.date, dt.datetime] = {}
        for row in financed:
            issued = timezone.localtime(row.issued_at)
            amount, note = services.nominal_amount(period, row._child, issued.date())
            if amount <= 0:
                continue
            account = accounts[row.pk]
            grants[issued.date()].append(
                services.grant_entry(
                    period=period,
                    budget_id=budget.pk,
                    account_id=account.pk,
                    certificate_id=row.pk,
                    amount_kopecks=amount,
                    note=note,
                )
            )
            last_moment[issued.date()] = max(last_moment.get(issued.date(), issued), issued)
            if row.status == Certificate.Status.CANCELLED:
                cancelled = timezone.localtime(row.status_changed_at)
                revokes[cancelled.date()].append(
                    ledger.Entry(
                        key=services.return_key(TransferKind.REVOKE, period.pk, row.pk),
                        kind=TransferKind.REVOKE,
                        debit_id=account.pk,
                        credit_id=budget.pk,
                        amount_kopecks=amount,
                        description=services.cancellation_text(row.status_reason),
                        ref_type="certificate",
                        ref_id=row.pk,
                    )
                )
                last_moment[cancelled.date()] = max(
                    last_moment.get(cancelled.date(), cancelled), cancelled
                )
        # One batch a day, stamped with that day's last decision: statements read in order.
        for day in sorted(grants):
            with clock.frozen(last_moment[day]):
                ledger.post_many(grants[day])
        for day in sorted(revokes):
            with clock.frozen(last_moment[day]):
                ledger.post_many(revokes[day])
