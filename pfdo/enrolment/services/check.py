"""The public enrolment check: where a child is enrolled under a certificate (domain.md §4).

Anyone who has the child's surname, first name and the last 4 digits of the child's document
(birth certificate or passport) learns the child's contracts — programme, provider, dates and
whether each is in force — and nothing else: no group, schedule, certificate, money or other
data of the child. It is the families' defence against a provider enrolling a child without
their knowing.

The three values are never compared in clear: the card keeps a keyed hash of them
(`Child.check_hash`), and the check hashes what was typed the same way. "No such child" and
"no contracts" are one answer (an empty list), so the check never tells whether a child is
registered. Each attempt counts against the client address and the name asked about (the
digits are what a guesser varies, so the name is what stops guessing from many addresses),
before anything is looked at; each attempt, refused or not, is one row in the action history
with its outcome — never the name or the digits.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone

from pfdo.audit import services as audit
from pfdo.certificates.models import Child
from pfdo.certificates.validators import enrolment_check_hash, pd_hash, surname_key
from pfdo.common import clock, context, ratelimit
from pfdo.common.errors import ValidationFailed
from pfdo.enrolment.models import Contract
from pfdo.territory.models import Municipality

ACTION = "enrolment.enrolment_checked"
# Contracts the child was or is enrolled under; an offer the parent never accepted is not an
# enrolment (and a provider cannot make one active without the parent).
SHOWN = (Contract.Status.ACTIVE, Contract.Status.COMPLETED, Contract.Status.TERMINATED)
LIMIT = 50
# Four digits, whitespace anywhere ignored (ASCII digits: a document number has no others).
SUFFIX = re.compile(r"^[0-9]{4}$")
SUFFIX_ERROR = "Последние 4 цифры номера документа — ровно четыре цифры, например 3456."


class Outcome:
    FOUND = "found"
    NO_CONTRACTS = "no_contracts"
    UNKNOWN = "unknown"
    REFUSED = "refused"


@dataclass(frozen=True)
class Enrolment:
    """One contract as the check shows it. `contract_id` and `municipality_id` are for the
    system's own follow-up (a family's report of an enrolment it does not know of, pfdo.compat)
    and are never shown: the page and the API name their fields."""

    contract_id: int
    municipality_id: int
    program: str
    provider: str
    starts_on: dt.date
    ends_on: dt.date
    status: str
    status_display: str
    is_active: bool


@dataclass(frozen=True)
class EnrolmentCheck:
    """The answer: the same shape whether the child is unknown or has no contracts."""

    checked_on: dt.date
    enrolments: list[Enrolment]


def clean(*, surname: str, first_name: str, document_suffix: str) -> tuple[str, str, str]:
    """The three values, or ValidationFailed naming each bad field (free: nothing is counted
    or recorded for a form that was not filled in)."""
    surname = " ".join((surname or "").split())
    first_name = " ".join((first_name or "").split())
    suffix = "".join((document_suffix or "").split())
    errors: dict[str, str] = {}
    for name, value, what in (
        ("surname", surname, "фамилию"),
        ("first_name", first_name, "имя"),
    ):
        if not surname_key(value):
            errors[name] = f"Укажите {what} ребёнка."
        elif len(value) > 150 or "\x00" in value:
            errors[name] = "Не длиннее 150 символов, без служебных знаков."
    if not SUFFIX.match(suffix):
        errors["document_suffix"] = SUFFIX_ERROR
    if errors:
        raise ValidationFailed(fields=errors)
    return surname, first_name, suffix


def check_enrolment(
    *, actor, surname: str, first_name: str, document_suffix: str
) -> EnrolmentCheck:
    """The child's contracts (newest first), or none; call it outside a transaction: the
    attempt is counted (`RateLimited` over a limit) and recorded before it answers."""
    surname, first_name, suffix = clean(
        surname=surname, first_name=first_name, document_suffix=document_suffix
    )
    key = enrolment_check_hash(surname, first_name, suffix)
    try:
        _count_attempt(actor, surname, first_name)
    except ratelimit.RateLimited:
        _record(actor, Outcome.REFUSED, municipality_id=None, children=0, contracts=0)
        raise
    rows = list(
        Contract.objects.filter(child__check_hash=key, status__in=SHOWN)
        .select_related("group__module__program", "provider")
        .only(
            "child_id",
            "municipality_id",
            "starts_on",
            "ends_on",
            "status",
            "ended_at",
            "group__module__program__name",
            "provider__short_name",
        )
        .order_by("-starts_on", "-pk")[:LIMIT]
    )
    if rows:
        outcome, municipality_id = Outcome.FOUND, rows[0].municipality_id
        children = len({row.child_id for row in rows})
    else:
        # Looked at only to write the history right; the answer is the same either way.
        known = _known_child(key)
        outcome = Outcome.NO_CONTRACTS if known else Outcome.UNKNOWN
        municipality_id, children = known, int(bool(known))
    _record(actor, outcome, municipality_id=municipality_id, children=children, contracts=len(rows))
    return EnrolmentCheck(checked_on=clock.today(), enrolments=[_shown(row) for row in rows])


def _known_child(key: str) -> int | None:
    """The municipality of a child with this key (None: no such child)."""
    return Child.objects.filter(check_hash=key).values_list("municipality_id", flat=True).first()


def _count_attempt(actor, surname: str, first_name: str) -> None:
    ip = context.current().ip
    if ip is None:
        return  # no client: the demo seed or a command acting for the system
    name = pd_hash("enrolment_check_name", f"{surname_key(surname)}|{surname_key(first_name)}")
    ratelimit.hit(
        ("enrolment_check_ip", f"ip:{ip}"),
        ("enrolment_check_name", f"name:{name}"),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _record(actor, outcome: str, *, municipality_id, children: int, contracts: int) -> None:
    # Its own statement (no transaction is open): a refusal is on the record too.
    audit.record(
        actor=actor,
        action=ACTION,
        municipality=_municipality(municipality_id),
        details={"outcome": outcome, "children": children, "contracts": contracts},
    )


def _municipality(pk):
    if pk is None:
        return None
    return Municipality(pk=pk)


def _ended_on(contract: Contract) -> dt.date:
    """The last day in force: the planned end, or the day a termination took effect."""
    if contract.status == Contract.Status.TERMINATED and contract.ended_at is not None:
        return min(contract.ends_on, timezone.localdate(contract.ended_at))
    return contract.ends_on


def _shown(contract: Contract) -> Enrolment:
    return Enrolment(
        contract_id=contract.pk,
        municipality_id=contract.municipality_id,
        program=contract.group.module.program.name,
        provider=contract.provider.short_name,
        starts_on=contract.starts_on,
        ends_on=_ended_on(contract),
        status=contract.status,
        status_display=contract.get_status_display(),
        is_active=contract.status == Contract.Status.ACTIVE,
    )
