"""Read use-cases of enrolment for the provider's and the officials' pages and exports, and the
operator's report of provider look-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from pfdo.catalog.models import Group, Program
from pfdo.certificates.models import age_in_months
from pfdo.common import clock
from pfdo.common.ages import years_word
from pfdo.common.months import month_label  # billing reads it from here too
from pfdo.enrolment.models import Application, CertificateLookup, Contract
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import manageable_municipalities
from pfdo.ledger import selectors as ledger_selectors
from pfdo.providers.models import Provider, staffed_provider_ids

# What the provider's incoming list shows: applications waiting for someone to act.
INCOMING = (
    Application.Status.NEW,
    Application.Status.AWAITING_PARENT,
    Application.Status.WAITLISTED,
)


def years_label(years: int) -> str:
    """7 → «7 лет», 2 → «2 года», 21 → «21 год»."""
    return f"{years} {years_word(years)}"


# ------------------------------------------------------------------------- applications


def _waitlist_position():
    """Place in its group's waitlist, 1 = first (order of arrival: created_at, then id)."""
    ahead = (
        Application.objects.filter(
            group_id=OuterRef("group_id"), status=Application.Status.WAITLISTED
        )
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lte=OuterRef("pk"))
        )
        .order_by()
        .values("group_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(ahead)


def with_waitlist_position(queryset):
    """Annotate `waitlist_position` (meaningful for waitlisted rows): one subquery, no N+1."""
    return queryset.annotate(waitlist_position=_waitlist_position())


def waitlist_position(application: Application) -> int:
    """The place of one waitlisted application in its group's line."""
    return (
        Application.objects.filter(
            group_id=application.group_id,
            status=Application.Status.WAITLISTED,
            created_at__lte=application.created_at,
        )
        .exclude(created_at=application.created_at, pk__gt=application.pk)
        .count()
    )


def provider_applications(user):
    """Every application to the user's providers, with what the pages show."""
    return with_waitlist_position(
        Application.objects.for_user(user)
        .filter(provider_id__in=staffed_provider_ids(user))
        .select_related("child", "parent", "group__module__program", "provider")
    )


def incoming_applications(user):
    """Applications waiting for the provider or the parent, oldest first (the page narrows
    them with `filters.ApplicationFilter`)."""
    return provider_applications(user).filter(status__in=INCOMING).order_by("created_at", "pk")


# ------------------------------------------------------------------- programmes, groups


def provider_programs(user):
    return (
        Program.objects.for_user(user)
        .filter(provider_id__in=staffed_provider_ids(user))
        .order_by("name", "pk")
    )


def provider_groups(user):
    return (
        Group.objects.for_user(user)
        .filter(module__program__provider_id__in=staffed_provider_ids(user))
        .select_related("module__program")
        .order_by("module__program__name", "module__position", "name", "pk")
    )


def groups_open_for_enrolment(user):
    """The user's providers' groups a child can be enrolled in now."""
    return provider_groups(user).filter(
        enrolment_open=True,
        module__program__is_published=True,
        module__program__enrolment_open=True,
        module__program__archived_at__isnull=True,
        starts_on__isnull=False,
        ends_on__gte=clock.today(),
    )


def official_programs(user):
    return (
        Program.objects.for_user(user)
        .filter(municipality__in=manageable_municipalities(user))
        .select_related("provider")
        .order_by("name", "pk")
    )


def official_groups(user, program_id):
    """Groups of one programme of the official's municipalities (a region has thousands of
    groups, so the register lists them only for a chosen programme)."""
    program_id = str(program_id or "")
    if not program_id.isdigit() or len(program_id) > 18:
        return Group.objects.none()
    return (
        Group.objects.for_user(user)
        .filter(
            module__program_id=int(program_id),
            module__program__municipality__in=manageable_municipalities(user),
        )
        .select_related("module__program")
        .order_by("module__position", "name", "pk")
    )


def periods_of(municipality_ids) -> list[FinancingPeriod]:
    return list(
        FinancingPeriod.objects.filter(
            municipality_id__in=municipality_ids,
            status__in=[FinancingPeriod.Status.APPROVED, FinancingPeriod.Status.CLOSED],
        )
        .select_related("municipality")
        .order_by("-starts_on", "municipality__name")
    )


def provider_periods(user) -> list[FinancingPeriod]:
    return periods_of(
        Provider.objects.filter(pk__in=staffed_provider_ids(user)).values("municipality_id")
    )


def official_periods(user) -> list[FinancingPeriod]:
    return periods_of(manageable_municipalities(user).values("pk"))


# --------------------------------------------------------------------------- contracts


def _contracts(user):
    return Contract.objects.for_user(user).select_related(
        "child", "parent", "group__module__program", "provider", "period"
    )


def provider_contracts(user):
    """Contracts of the providers the user works for."""
    return _contracts(user).filter(provider_id__in=staffed_provider_ids(user))


def official_contracts(user):
    """Contracts of the municipalities the operator (regional administrator) runs."""
    return _contracts(user).filter(municipality__in=manageable_municipalities(user))


@dataclass(frozen=True)
class Totals:
    count: int
    price_kopecks: int
    certificate_kopecks: int
    copay_kopecks: int


def contract_totals(qs) -> Totals:
    zero = Value(0)
    sums = qs.order_by().aggregate(
        count=Count("pk"),
        price=Coalesce(Sum("price_kopecks"), zero),
        certificate=Coalesce(Sum("certificate_kopecks"), zero),
        copay=Coalesce(Sum("copay_kopecks"), zero),
    )
    return Totals(sums["count"], sums["price"], sums["certificate"], sums["copay"])


def contract_of(application: Application) -> Contract | None:
    return Contract.objects.filter(application_id=application.pk).first()


# ------------------------------------------------------------------------------ export


@dataclass(frozen=True)
class ExportRow:
    """One contract as the XLSX register has it: no birth date, СНИЛС or documents."""

    number: str
    status: str
    child: str
    age_years: int
    provider: str
    program: str
    module: str
    group: str
    starts_on: dt.date
    ends_on: dt.date
    price_kopecks: int
    certificate_kopecks: int
    copay_kopecks: int
    accepted_at: dt.datetime | None
    ended_at: dt.datetime | None
    terminated_by: str
    reason: str


_EXPORT_FIELDS = (
    "number",
    "status",
    "child__last_name",
    "child__first_name",
    "child__patronymic",
    "child__birth_date",
    "provider__short_name",
    "group__module__program__name",
    "group__module__name",
    "group__name",
    "starts_on",
    "ends_on",
    "price_kopecks",
    "certificate_kopecks",
    "copay_kopecks",
    "accepted_at",
    "ended_at",
    "terminated_by",
    "termination_reason",
)


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    """Local wall time without a zone (spreadsheets have no time zones)."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None)


def export_rows(qs, *, chunk_size: int = 2000) -> Iterator[ExportRow]:
    """The filtered register row by row, fetched in chunks (10 000 rows stay cheap).

    The birth date is read only to compute the age and never leaves this function.
    """
    statuses = dict(Contract.Status.choices)
    ended_by = dict(Contract.TerminatedBy.choices)
    today = clock.today()
    for row in qs.values_list(*_EXPORT_FIELDS).iterator(chunk_size=chunk_size):
        (
            number, status, last, first, patronymic, birth_date, provider, program, module,
            group, starts_on, ends_on, price, certificate, copay, accepted_at, ended_at,
            terminated_by, reason,
        ) = row  # fmt: skip
        yield ExportRow(
            number=number or "",
            status=statuses.get(status, status),
            child=" ".join(p for p in (last, first, patronymic) if p),
            age_years=age_in_months(birth_date, today) // 12,
            provider=provider,
            program=program,
            module=module,
            group=group,
            starts_on=starts_on,
            ends_on=ends_on,
            price_kopecks=price,
            certificate_kopecks=certificate,
            copay_kopecks=copay,
            accepted_at=_local(accepted_at),
            ended_at=_local(ended_at),
            terminated_by=ended_by.get(terminated_by, ""),
            reason=reason or "",
        )


# ------------------------------------------------------------------------------ roster


@dataclass(frozen=True)
class RosterRow:
    name: str
    age: str
    state: str
    note: str = ""


@dataclass(frozen=True)
class Roster:
    group: Group
    children: list[RosterRow]
    waitlist: list[RosterRow]


def roster_group(user, group_id: int) -> Group | None:
    """One of the user's providers' groups (None for anyone else's)."""
    return provider_groups(user).filter(pk=group_id).first()


def roster(group: Group) -> Roster:
    """Who holds the group's places (name and age only) and who waits, in order."""
    today = clock.today()
    children: list[RosterRow] = []
    contracts = (
        Contract.objects.filter(group=group, status__in=Contract.LIVE)
        .select_related("child")
        .order_by("child__last_name", "child__first_name", "pk")
    )
    for contract in contracts:
        child = contract.child
        offered = contract.status == Contract.Status.OFFERED
        children.append(
            RosterRow(
                name=child.full_name,
                age=years_label(child.age_years(today)),
                state="offered" if offered else "active",
                note=f"договор предложен, ждёт родителя (№ {contract.number})"
                if offered
                else f"договор № {contract.number}",
            )
        )
    pending = (
        Application.objects.filter(
            group=group,
            status__in=[Application.Status.NEW, Application.Status.AWAITING_PARENT],
        )
        .select_related("child")
        .order_by("created_at", "pk")
    )
    for application in pending:
        children.append(
            RosterRow(
                name=application.child.full_name,
                age=years_label(application.child.age_years(today)),
                state="pending",
                note=application.get_status_display(),
            )
        )
    waiting = (
        Application.objects.filter(group=group, status=Application.Status.WAITLISTED)
        .select_related("child")
        .order_by("created_at", "pk")
    )
    waitlist = [
        RosterRow(
            name=a.child.full_name,
            age=years_label(a.child.age_years(today)),
            state="waitlisted",
            note=f"в листе с {timezone.localtime(a.created_at):%d.%m.%Y %H:%M}",
        )
        for a in waiting
    ]
    return Roster(group=group, children=children, waitlist=waitlist)


# ------------------------------------------------------------- a contract's months


@dataclass(frozen=True)
class MonthRow:
    """One month of a contract as the family sees it, with what became of its reservation.

    `state`: "" (nothing reserved: an offer, a budget programme, or no certificate part),
    "reserved", "charged" (billed), "released" (returned to the certificate).
    """

    month: dt.date
    label: str
    certificate_kopecks: int
    copay_kopecks: int
    state: str


def contract_months(contract: Contract) -> list[MonthRow]:
    """The monthly schedule of a contract (two queries whatever the number of months)."""
    months = list(contract.months.order_by("month"))
    reserved = [m.reservation_id for m in months if m.reservation_id]
    phases = ledger_selectors.resolution_phases(reserved)
    states = {
        ledger_selectors.Phase.POST_PENDING: "charged",
        ledger_selectors.Phase.VOID_PENDING: "released",
    }
    return [
        MonthRow(
            month=m.month,
            label=month_label(m.month),
            certificate_kopecks=m.certificate_kopecks,
            copay_kopecks=m.copay_kopecks,
            state=(
                states.get(phases.get(m.reservation_id), "reserved") if m.reservation_id else ""
            ),
        )
        for m in months
    ]


def released_kopecks(contract: Contract) -> int:
    """How much of the contract's reservation went back to the certificate (voided months)."""
    return ledger_selectors.voided_kopecks(ref_type="contract", ref_id=contract.pk)


# ------------------------------------------------------------- the report of look-ups

# What makes a row of the report stand out. A desk that enrols children misses now and then
# (a mistyped digit, a surname spelt differently): far fewer misses than hits. Guessing —
# sequential numbers with likely surnames — is mostly misses; and any refusal by a rate
# limit means someone went past what a busy desk needs.
UNUSUAL_MISSES = 10  # at least this many misses ...
UNUSUAL_MISS_SHARE = 3  # ... making up at least a third of the attempts


@dataclass(frozen=True)
class LookupCounts:
    """Attempts of one provider, or of one staff member for one provider."""

    provider_id: int
    provider_name: str
    matched: int
    missed: int
    refused: int
    actor_id: int | None = None
    actor_name: str = ""

    @property
    def total(self) -> int:
        return self.matched + self.missed + self.refused

    @property
    def unusual(self) -> bool:
        many_misses = (
            self.missed >= UNUSUAL_MISSES and self.missed * UNUSUAL_MISS_SHARE >= self.total
        )
        return bool(self.refused) or many_misses


def lookups_for(user):
    """The look-ups the official may read (their municipality, region), newest first."""
    return CertificateLookup.objects.for_user(user).select_related(
        "actor", "provider", "municipality"
    )


def _counted(rows, *fields: str):
    Outcome = CertificateLookup.Outcome
    return (
        rows.order_by()
        .values(*fields)
        .annotate(
            matched=Count("pk", filter=Q(outcome=Outcome.MATCHED)),
            missed=Count("pk", filter=Q(outcome__in=CertificateLookup.MISSES)),
            refused=Count("pk", filter=Q(outcome=Outcome.REFUSED)),
        )
    )


def _person(first: str, last: str, login: str) -> str:
    return " ".join(p for p in (last, first) if p) or login


def _busiest_first(rows: list[LookupCounts]) -> list[LookupCounts]:
    return sorted(rows, key=lambda r: (not r.unusual, -r.missed, -r.total, r.provider_name))


def lookup_summary(rows) -> tuple[list[LookupCounts], list[LookupCounts]]:
    """(per provider, per staff member and provider) counts of hits, misses and refusals of
    the filtered `rows`, unusual ones first: two grouped queries whatever the volume."""
    providers = [
        LookupCounts(
            provider_id=r["provider_id"],
            provider_name=r["provider__short_name"],
            matched=r["matched"],
            missed=r["missed"],
            refused=r["refused"],
        )
        for r in _counted(rows, "provider_id", "provider__short_name")
    ]
    staff = [
        LookupCounts(
            provider_id=r["provider_id"],
            provider_name=r["provider__short_name"],
            matched=r["matched"],
            missed=r["missed"],
            refused=r["refused"],
            actor_id=r["actor_id"],
            actor_name=_person(
                r["actor__first_name"] or "",
                r["actor__last_name"] or "",
                r["actor__username"] or "",
            ),
        )
        for r in _counted(
            rows,
            "provider_id",
            "provider__short_name",
            "actor_id",
            "actor__first_name",
            "actor__last_name",
            "actor__username",
        )
    ]
    return _busiest_first(providers), _busiest_first(staff)


def lookup_filter_choices(rows) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The providers and staff members that appear in the official's look-ups (for the
    report's filters)."""
    providers = sorted(
        rows.order_by().values_list("provider_id", "provider__short_name").distinct(),
        key=lambda p: (p[1], p[0]),
    )
    staff = sorted(
        {
            (pk, _person(first or "", last or "", login or ""))
            for pk, first, last, login in rows.order_by()
            .values_list("actor_id", "actor__first_name", "actor__last_name", "actor__username")
            .distinct()
            if pk is not None
        },
        key=lambda p: (p[1], p[0]),
    )
    return providers, staff


# ------------------------------------------------------ how the family pays its co-payment


def copay_payment_text(provider: Provider) -> str:
    """To whom, how and when the family pays the co-payment: to the provider, by its bank
    details when it has them on file (else by agreement with it), month by month as the
    contract's schedule says. The system holds no due day: the agreement with the provider
    sets it."""
    payee = provider.full_name or provider.short_name
    if provider.inn:
        payee += f", ИНН {provider.inn}"
    if provider.settlement_account and provider.bik:
        bank = f" в {provider.bank_name}" if provider.bank_name else ""
        how = f"переводом на расчётный счёт {provider.settlement_account}{bank}, БИК {provider.bik}"
        if provider.correspondent_account:
            how += f", корр. счёт {provider.correspondent_account}"
    else:
        how = "по договору с организацией (реквизиты для оплаты даёт организация)"
    return (
        f"Доплату семья платит поставщику — {payee} — {how}; помесячно, суммами из графика "
        "договора (столбец «Доплата»), в срок, установленный договором с организацией. "
        "Сертификат доплату не оплачивает, и через систему ПФДО она не проходит."
    )
