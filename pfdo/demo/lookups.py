"""Demo look-ups of certificates by provider staff, through the look-up service, so the
operator's report (`/cabinet/operator/certificate-lookups/`) has something to show.

«Полярный код»'s desk (login `provider`) found Анна's certificate yesterday after one typo in
her surname; «Северное сияние» (login `severnoe-siyanie`) tried a run of sequential numbers with
a common surname three evenings ago — the report marks that organisation and staff member as
unusual. Idempotent: nothing is added once the municipality has any look-up.
"""

from __future__ import annotations

import datetime as dt

from pfdo.accounts.models import User
from pfdo.certificates.models import Certificate
from pfdo.certificates.validators import pd_hash
from pfdo.common import clock, context, ratelimit
from pfdo.common.errors import NotFound
from pfdo.demo import certificates as certificates_demo
from pfdo.demo import literals
from pfdo.demo.people import moment
from pfdo.enrolment import services
from pfdo.enrolment.models import CertificateLookup
from pfdo.providers.models import Provider, ProviderStaff

_DATA = literals.load("enrolment")["lookups"]


def _at(day: dt.date, hour: int, minute: int):
    return clock.frozen(min(moment(day, hour, minute), clock.now() - dt.timedelta(minutes=1)))


def _staff(login: str) -> tuple[User, Provider] | None:
    row = (
        ProviderStaff.objects.filter(user__username=login, is_active=True)
        .select_related("user", "provider__municipality")
        .first()
    )
    return (row.user, row.provider) if row else None


def _try(user: User, provider: Provider, number: str, surname: str) -> bool:
    try:
        services.look_up_for_provider(actor=user, provider=provider, number=number, surname=surname)
    except (NotFound, ratelimit.RateLimited):
        return False
    return True


def seed_lookups(*, municipality) -> int:
    """The demo's look-ups in `municipality`; returns how many the municipality has."""
    recorded = CertificateLookup.objects.filter(municipality=municipality)
    # The in-person filings of the enrolment demo look certificates up too: only the desk's
    # own look-ups say this ran before.
    if recorded.filter(purpose=CertificateLookup.Purpose.LOOKUP).exists():
        return recorded.count()
    anna = (
        Certificate.objects.filter(
            municipality=municipality,
            child__snils_hash=pd_hash("snils", certificates_demo.ANNA["snils"]),
        )
        .order_by("pk")
        .first()
    )
    desk, guesser = _staff(_DATA["desk"]["login"]), _staff(_DATA["guesser"]["login"])
    if anna is None or desk is None or guesser is None:
        return 0
    today = clock.today()
    user, provider = desk
    with context.bound(context.RequestContext(ip=_DATA["desk"]["ip"])):
        with _at(today - dt.timedelta(days=1), 11, 2):
            _try(user, provider, anna.number, _DATA["desk"]["typo"])
        with _at(today - dt.timedelta(days=1), 11, 3):
            _try(user, provider, anna.number, certificates_demo.ANNA["last_name"])
    user, provider = guesser
    first = int(anna.number[4:])
    surnames = _DATA["guesser"]["surnames"]
    with context.bound(context.RequestContext(ip=_DATA["guesser"]["ip"])):
        for n in range(_DATA["guesser"]["numbers"]):
            number = f"{anna.number[:4]}{first + n:06d}"
            with _at(today - dt.timedelta(days=3), 21, 10 + n):
                _try(user, provider, number, surnames[n % len(surnames)])
    return recorded.count()
