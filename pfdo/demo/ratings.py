"""Demo ratings of Vorkuta's programmes, through the ratings services on contracts that
qualify (a billed month or completed), so the catalogue shows averages and counts.

The plan is in `data/ratings.json`: the first programmes (the demo provider's first) get
enough ratings for an average, the next ones one or two (the count shows); review texts are
published by the operator, one is hidden with a reason its author reads, and one gets the
provider's reply. The demo parent's own contracts stay unrated, for the visitor to rate.
Idempotent: a contract already rated, a text already moderated, a reply given are skipped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pfdo.accounts.models import User
from pfdo.demo import literals
from pfdo.enrolment.models import Contract
from pfdo.providers.models import ProviderStaff
from pfdo.ratings import selectors, services
from pfdo.ratings.models import CRITERIA, Rating, Reply

_DATA = literals.load("ratings")


@dataclass
class _Planned:
    contract_id: int
    scores: dict[str, int]
    text: str = ""
    hide_reason: str = ""
    reply: bool = False


def _candidates(municipality, parent: User | None) -> dict[int, list[int]]:
    """programme id → ids of its contracts that may be rated, in id order."""
    contracts = Contract.objects.filter(
        municipality=municipality,
        status__in=[Contract.Status.ACTIVE, Contract.Status.COMPLETED, Contract.Status.TERMINATED],
    )
    if parent is not None:
        contracts = contracts.exclude(child__guardianships__user=parent)
    ok = selectors.qualifying_ids(contracts)
    by_program: dict[int, list[int]] = defaultdict(list)
    rows = contracts.filter(pk__in=ok).order_by("pk").values_list("pk", "group__module__program_id")
    for pk, program_id in rows:
        by_program[program_id].append(pk)
    return by_program


def _plan(by_program: dict[int, list[int]], first_provider_programs: set[int]) -> list[_Planned]:
    many, few = _DATA["many"], _DATA["few"]
    order = sorted(by_program, key=lambda pk: (pk not in first_provider_programs, pk))
    rich = [pk for pk in order if len(by_program[pk]) >= many][: _DATA["programs_with_many"]]
    rest = [pk for pk in order if pk not in rich][: _DATA["programs_with_few"]]
    counts = [(pk, many) for pk in rich] + [(pk, few[i % len(few)]) for i, pk in enumerate(rest)]
    plan: list[_Planned] = []
    texts = iter(_DATA["texts"] * 10)
    for n, (program_id, count) in enumerate(counts):
        for i, contract_id in enumerate(by_program[program_id][:count]):
            triple = _DATA["scores"][(len(plan)) % len(_DATA["scores"])]
            item = _Planned(
                contract_id=contract_id,
                scores={name: value for (name, _l), value in zip(CRITERIA, triple, strict=True)},
            )
            if i % 2 == 0:
                item.text = next(texts)
            if n == 0 and i == 0:
                item.reply = True
            if n == 1 and i == 1:
                item.text, item.hide_reason = _DATA["hidden"]["text"], _DATA["hidden"]["reason"]
            plan.append(item)
    return plan


def _replier(provider_id: int, demo_staff: User | None) -> User | None:
    rows = ProviderStaff.objects.filter(provider_id=provider_id, is_active=True)
    if demo_staff is not None and rows.filter(user=demo_staff).exists():
        return demo_staff
    row = rows.select_related("user").order_by("pk").first()
    return row.user if row else None


def seed_ratings(*, municipality, operator: User, demo_staff: User | None, parent: User | None):
    """Rate, moderate and reply as planned; returns the municipality's number of ratings."""
    first = set()
    if demo_staff is not None:
        first = set(
            Contract.objects.filter(
                provider__staff__user=demo_staff, municipality=municipality
            ).values_list("group__module__program_id", flat=True)
        )
    plan = _plan(_candidates(municipality, parent), first)
    contracts = Contract.objects.in_bulk([item.contract_id for item in plan])
    for item in plan:
        contract = contracts[item.contract_id]
        rating = Rating.objects.filter(contract=contract).first()
        if rating is None:
            rating = services.rate(
                actor=contract.parent, contract=contract, scores=item.scores, text=item.text
            )
        if rating.text_status == Rating.TextStatus.PENDING:
            if item.hide_reason:
                services.hide(actor=operator, rating=rating, reason=item.hide_reason)
            else:
                rating = services.publish(actor=operator, rating=rating)
        if item.reply and not Reply.objects.filter(rating=rating).exists():
            staff = _replier(rating.provider_id, demo_staff)
            if staff is not None:
                services.reply(actor=staff, rating=rating, text=_DATA["reply"])
    return Rating.objects.filter(municipality=municipality).count()
