"""Read use-cases of ratings: which contracts qualify, the family's, provider's and operator's
lists, a programme's published reviews and the aggregates the catalogue stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Sum
from django.utils import timezone

from pfdo.certificates.models import Guardianship
from pfdo.common import clock
from pfdo.common.months import next_month
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.ledger import selectors as ledger_selectors
from pfdo.providers.models import staffed_provider_ids
from pfdo.ratings.models import CRITERIA, MIN_COUNT_FOR_AVERAGE, Rating, Reply

NOT_YET = (
    "Оценить программу можно после первого оплаченного месяца обучения по договору или после "
    "его завершения."
)
NOT_IN_FORCE = "Договор не вступал в силу: оценивать нечего."


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    reason: str = ""


def _charged_contract_ids(contract_ids) -> set[int]:
    """Contracts with a month whose certificate reservation was charged (its invoice accepted)."""
    return set(
        ContractMonth.objects.filter(
            contract_id__in=contract_ids,
            reservation_id__in=ledger_selectors.resolved_reservation_ids(),
        )
        .exclude(reservation_id__in=ledger_selectors.voided_reservation_ids())
        .values_list("contract_id", flat=True)
    )


def _whole_unreserved_month(contract_ids, ended: dict[int, dt.date | None], today) -> set[int]:
    """Contracts with a month the certificate pays nothing for (a budget programme, a month the
    family pays alone) that the contract spent wholly in force: there is no charge to wait for,
    so the month counts once it is over."""
    out: set[int] = set()
    rows = ContractMonth.objects.filter(
        contract_id__in=contract_ids, reservation_id__isnull=True
    ).values_list("contract_id", "month")
    for contract_id, month in rows:
        last_day = next_month(month) - dt.timedelta(days=1)
        end = ended.get(contract_id)
        if last_day < today and (end is None or end >= last_day):
            out.add(contract_id)
    return out


def qualifying_ids(contracts) -> set[int]:
    """The ids among `contracts` that may be rated: completed, or active/terminated after a
    billed month. Three queries whatever the number of contracts."""
    rows = list(contracts.values_list("pk", "status", "ended_at"))
    ok = {pk for pk, status, _ended in rows if status == Contract.Status.COMPLETED}
    candidates = {
        pk: (timezone.localdate(ended) if ended else None)
        for pk, status, ended in rows
        if status in (Contract.Status.ACTIVE, Contract.Status.TERMINATED)
    }
    if candidates:
        ids = list(candidates)
        ok |= _charged_contract_ids(ids)
        ok |= _whole_unreserved_month(ids, candidates, clock.today())
    return ok


def eligibility(contract: Contract) -> Eligibility:
    """Whether the contract's programme may be rated now, and if not, why (in Russian)."""
    if contract.status not in (
        Contract.Status.ACTIVE,
        Contract.Status.COMPLETED,
        Contract.Status.TERMINATED,
    ):
        return Eligibility(False, NOT_IN_FORCE)
    if contract.pk in qualifying_ids(Contract.objects.filter(pk=contract.pk)):
        return Eligibility(True)
    return Eligibility(False, NOT_YET)


# --------------------------------------------------------------------------- aggregates


def _average(total: int | None, count: int) -> Decimal | None:
    """Exact mean of all criteria of `count` ratings, two decimals half up; None below the
    count that shows an average."""
    if count < MIN_COUNT_FOR_AVERAGE or not total:
        return None
    mean = Decimal(total) / (count * len(CRITERIA))
    return mean.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _aggregate(ratings) -> tuple[Decimal | None, int]:
    scores = F(CRITERIA[0][0])
    for name, _label in CRITERIA[1:]:
        scores = scores + F(name)
    row = ratings.aggregate(total=Sum(scores), count=Count("pk"))
    return _average(row["total"], row["count"]), row["count"]


def program_aggregate(program_id: int) -> tuple[Decimal | None, int]:
    return _aggregate(Rating.objects.filter(program_id=program_id))


def provider_aggregate(provider_id: int) -> tuple[Decimal | None, int]:
    return _aggregate(Rating.objects.filter(provider_id=provider_id))


# --------------------------------------------------------------------------- lists


def _with_relations(queryset):
    return queryset.select_related(
        "program", "provider", "contract", "reply", "moderated_by"
    ).order_by("-created_at", "-pk")


@dataclass(frozen=True)
class FamilyRow:
    contract: Contract
    rating: Rating | None
    eligible: bool


def family_rows(user) -> list[FamilyRow]:
    """The family's contracts that were in force, each with its rating and whether it may be
    rated now (a fixed number of queries)."""
    contracts = list(
        Contract.objects.for_user(user)
        .filter(
            child__guardianships__user=user,
            status__in=[
                Contract.Status.ACTIVE,
                Contract.Status.COMPLETED,
                Contract.Status.TERMINATED,
            ],
        )
        .select_related("child", "group__module__program", "provider")
        .order_by("-starts_on", "-pk")
        .distinct()
    )
    ids = [c.pk for c in contracts]
    ratings = {
        r.contract_id: r for r in _with_relations(Rating.objects.filter(contract_id__in=ids))
    }
    eligible = qualifying_ids(Contract.objects.filter(pk__in=ids)) if ids else set()
    return [FamilyRow(c, ratings.get(c.pk), c.pk in eligible) for c in contracts]


def provider_ratings(user):
    """Ratings of the programmes of the providers `user` works for."""
    return _with_relations(Rating.objects.filter(provider_id__in=staffed_provider_ids(user)))


def moderation_queue(user, *, status: str = ""):
    """Texts of the official's municipalities, waiting ones first (superuser: all)."""
    rows = Rating.objects.for_user(user).exclude(text_status=Rating.TextStatus.NONE)
    if not user.is_superuser:
        rows = rows.filter(municipality_id__in=user.municipality_ids_for("operator")) | rows.filter(
            municipality__region_id__in=user.region_ids_for("regional_admin")
        )
    if status:
        rows = rows.filter(text_status=status)
    return _with_relations(rows)


def program_reviews(program_id: int):
    """The published reviews of a programme, newest first, with the provider's replies."""
    return (
        Rating.objects.public()
        .filter(program_id=program_id)
        .select_related("reply")
        .order_by("-created_at", "-pk")
    )


def reply_of(rating: Rating) -> Reply | None:
    try:
        return rating.reply
    except Reply.DoesNotExist:
        return None


# --------------------------------------------------------------------------- the viewer


def relations_of(user) -> Callable[[Rating], set[str]]:
    """A function telling, for a rating (with its contract and municipality loaded), how
    `user` stands to it: "family", "provider", "official" (or nothing: a member of the
    public). Three small queries at most, once per request."""
    if not user or not user.is_authenticated:
        return lambda rating: set()
    children = set(Guardianship.objects.filter(user=user).values_list("child_id", flat=True))
    providers = staffed_provider_ids(user)
    municipalities = user.municipality_ids_for("operator")
    regions = user.region_ids_for("regional_admin")
    superuser = user.is_superuser

    def relation(rating: Rating) -> set[str]:
        out = set()
        if rating.contract.child_id in children:
            out.add("family")
        if rating.provider_id in providers:
            out.add("provider")
        if (
            superuser
            or rating.municipality_id in municipalities
            or rating.municipality.region_id in regions
        ):
            out.add("official")
        return out

    return relation
