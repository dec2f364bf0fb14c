"""Enrolment races on PostgreSQL: real threads, each with its own connection, committed work.

A pool of at most 40 threads (PostgreSQL allows 100 connections by default, and other test
runs may share the server) takes every call of a race; a barrier releases the first wave
together, and the rest follow as soon as a thread is free, so the database always has a
full pool of competing transactions.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connections
from django.db.models import Count, Q
from rest_framework.test import APIClient

from pfdo.accounts import services as accounts
from pfdo.accounts.models import User
from pfdo.audit.models import ActionLog
from pfdo.catalog.models import Group
from pfdo.certificates import services as certificate_services
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.common.models import IdempotencyRecord
from pfdo.common.tests.races import as_user, codes, errors_of, run_at_once
from pfdo.enrolment import selectors, services
from pfdo.enrolment.models import Application, Contract, ContractMonth
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger
from pfdo.providers import services as providers
from pfdo.providers.tests.factories import ProviderFactory

TODAY = dt.date(2026, 11, 28)
NOMINAL = 2_417_100

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


# ----------------------------------------------------------------------------- machinery


class Sampler:
    """Reads the database in its own thread while a race runs (the state others can see)."""

    def __init__(self, read: Callable[[], object]):
        self.read = read
        self.samples: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            while not self._stop.is_set():
                self.samples.append(self.read())
        finally:
            connections.close_all()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)
        self.samples.append(self.read())  # and once after the race


def seats_and_holders(group_id: int) -> tuple[int, int]:
    """The group's counter and the applications holding places, in one statement's snapshot."""
    return (
        Group.objects.filter(pk=group_id)
        .annotate(
            holding=Count(
                "enrolment_applications",
                filter=Q(enrolment_applications__status__in=Application.HOLDING),
            )
        )
        .values_list("seats_taken", "holding")
        .get()
    )


def certificate_account(fam, period) -> Account:
    return certificate_services.certificate_account(fam.certificate, period)


def open_reservations(contract: Contract) -> list[Transfer]:
    ids = contract.months.exclude(reservation_id=None).values_list("reservation_id", flat=True)
    return list(Transfer.objects.filter(pk__in=list(ids), resolutions__isnull=True))


def assert_each_reservation_resolved_at_most_once():
    doubled = (
        Transfer.objects.filter(phase=Transfer.Phase.PENDING)
        .annotate(n=Count("resolutions"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()


# -------------------------------------------------------------------- places in a group


def test_two_hundred_parents_race_for_ten_places(vorkuta, operator):
    approved_period(vorkuta, quota=250)
    group = ready_group(vorkuta, capacity=10)
    staff = staff_of(group.module.program.provider)
    families = [family(vorkuta, operator) for _ in range(200)]

    def applying(fam):
        return lambda: services.apply(
            actor=as_user(fam.parent.pk), certificate=fam.certificate, group=group
        )

    with Sampler(lambda: seats_and_holders(group.pk)) as seen:
        outcomes = run_at_once([applying(f) for f in families])

    assert errors_of(outcomes) == []
    statuses = Counter(a.status for a in outcomes)
    assert statuses == {Application.Status.NEW: 10, Application.Status.WAITLISTED: 190}
    # At every moment another connection could look, the counter agreed with the places held
    # and never passed the capacity.
    assert all(seats == holding <= 10 for seats, holding in seen.samples), seen.samples[-5:]
    assert seen.samples[-1] == (10, 10)
    stored = Counter(Application.objects.filter(group=group).values_list("status", flat=True))
    assert stored == statuses
    held = [a for a in outcomes if a.status == Application.Status.NEW]
    assert all(a.decide_by is not None for a in held)
    # The waitlist is one line in order of arrival: positions 1…190, none shared.
    waiting = Application.objects.filter(group=group, status=Application.Status.WAITLISTED)
    assert sorted(selectors.waitlist_position(a) for a in waiting) == list(range(1, 191))
    # Each family was told its place, as the line stores it; each filing wrote its history
    # row, its action log row and its notice once (one round trip after the application).
    told = {a.pk: a.waitlist_position for a in outcomes if a.status == "waitlisted"}
    assert told == {a.pk: selectors.waitlist_position(a) for a in waiting}
    filed = Application.history.filter(group_id=group.pk, history_type="+")
    assert Counter(filed.values_list("status", flat=True)) == statuses
    logged = ActionLog.objects.filter(action="enrolment.applied")
    assert sorted(logged.values_list("object_id", flat=True)) == sorted(str(a.pk) for a in outcomes)
    for a in outcomes:
        [note] = a.parent.notifications.filter(link__endswith=f"/enrolment/{a.pk}/")
        if a.status == "waitlisted":
            assert f"({told[a.pk]}-я)" in note.body

    # The provider confirms the ten, each one twice at the same moment (a double click).
    confirmations = run_at_once(
        [
            lambda a=a: services.confirm(actor=as_user(staff.pk), application=a)
            for a in held
            for _ in range(2)
        ]
    )
    made = [o for o in confirmations if isinstance(o, Contract)]
    assert len(made) == 10, codes(confirmations)
    assert len(errors_of(confirmations)) == 10
    assert all(isinstance(e, Conflict) for e in errors_of(confirmations))
    assert Contract.objects.filter(group=group).count() == 10
    assert set(Contract.objects.values_list("application_id", flat=True)) == {a.pk for a in held}
    assert all(c.status == Contract.Status.OFFERED for c in Contract.objects.all())
    assert ContractMonth.objects.count() == 10 * 7
    assert seats_and_holders(group.pk) == (10, 10)
    assert Application.objects.filter(status=Application.Status.OFFERED).count() == 10
    assert verify_ledger() == []


def test_the_last_children_under_a_providers_limit_are_taken_once(vorkuta, operator):
    """The provider may take 3 children of the period; 12 apply at once to its 4 groups:
    3 hold places, the other 9 are refused, none over the limit."""
    period = approved_period(vorkuta, quota=20)
    provider = ProviderFactory(municipality=vorkuta)
    providers.set_enrolment_limit(actor=operator, provider=provider, period=period, max_children=3)
    groups = [ready_group(vorkuta, provider=provider, weekday=d) for d in (1, 2, 3, 4)]
    families = [family(vorkuta, operator) for _ in range(12)]

    outcomes = run_at_once(
        [
            lambda f=f, g=groups[i % 4]: services.apply(
                actor=as_user(f.parent.pk), certificate=f.certificate, group=g
            )
            for i, f in enumerate(families)
        ]
    )

    assert codes(outcomes) == {"enrolment_limit_reached": 9}
    held = Application.objects.filter(provider=provider, status__in=Application.HOLDING)
    assert held.values("child_id").distinct().count() == 3
    assert (
        sum(
            Group.objects.filter(pk__in=[g.pk for g in groups]).values_list(
                "seats_taken", flat=True
            )
        )
        == 3
    )


# ------------------------------------------------------------- one certificate, many offers

THIRD = NOMINAL // 3  # 805 700,00 ₽ = exactly a third of the nominal


def fifty_offers(vorkuta, fam, *, count=50, price=THIRD):
    """`count` offers to one child in groups that never clash: 15-minute lessons, each on its
    own weekday and time; six whole months (December–May), so each offer's certificate part
    is exactly `price`."""
    provider = ProviderFactory(municipality=vorkuta)
    staff = staff_of(provider)
    offers = []
    for i in range(count):
        start = dt.datetime.combine(TODAY, dt.time(8, 0)) + dt.timedelta(minutes=15 * (i // 7))
        group = ready_group(
            vorkuta,
            provider=provider,
            price=price,
            normative=price,
            weekday=1 + i % 7,
            starts_at=start.time(),
            ends_at=(start + dt.timedelta(minutes=15)).time(),
            starts_on=dt.date(2026, 12, 1),
        )
        application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
        offers.append(services.confirm(actor=staff, application=application))
    return offers


def test_fifty_acceptances_on_a_certificate_that_affords_three(vorkuta, operator):
    period = approved_period(vorkuta)
    fam = family(vorkuta, operator)
    offers = fifty_offers(vorkuta, fam)
    assert {(o.certificate_kopecks, o.copay_kopecks, o.months.count()) for o in offers} == {
        (THIRD, 0, 6)
    }
    account = certificate_account(fam, period)
    assert account.available_kopecks == NOMINAL == 3 * THIRD

    def available():
        return Account.objects.get(pk=account.pk).available_kopecks

    with Sampler(available) as seen:
        outcomes = run_at_once(
            [lambda o=o: services.accept(actor=as_user(fam.parent.pk), contract=o) for o in offers]
        )

    accepted = [o for o in outcomes if isinstance(o, Contract)]
    assert len(accepted) == 3, codes(outcomes)
    # Each acceptance recomputes on the balance of its turn: once three hold the money, the
    # rest would put the whole price on the family, which nobody agreed to.
    assert codes(outcomes) == {"terms_changed": 47}
    assert min(seen.samples) >= 0 and seen.samples[-1] == 0
    account.refresh_from_db()
    assert account.available_kopecks == 0
    assert account.debits_pending_kopecks == 3 * THIRD
    assert Contract.objects.filter(status=Contract.Status.ACTIVE).count() == 3
    assert Contract.objects.filter(status=Contract.Status.OFFERED).count() == 47
    # Six month reservations for each accepted contract, none for the others.
    assert Transfer.objects.filter(kind=Transfer.Kind.RESERVE).count() == 3 * 6
    for contract in Contract.objects.all():
        reserved = contract.months.exclude(reservation_id=None).count()
        assert reserved == (6 if contract.status == Contract.Status.ACTIVE else 0)
    assert Application.objects.filter(status=Application.Status.ENROLLED).count() == 3
    assert verify_ledger() == []


# ------------------------------------------------------------------ ending one contract


def enrolled(vorkuta, operator, count, *, accept=True, **group):
    """`count` families, each with a contract offered to it (and accepted, with `accept`)."""
    out = []
    for _ in range(count):
        fam = family(vorkuta, operator)
        g = ready_group(vorkuta, **group)
        staff = staff_of(g.module.program.provider)
        application = services.apply(actor=fam.parent, certificate=fam.certificate, group=g)
        contract = services.confirm(actor=staff, application=application)
        if accept:
            contract = services.accept(actor=fam.parent, contract=contract)
        out.append((fam, staff, contract))
    return out


def test_concurrent_terminations_release_the_money_once(vorkuta, operator):
    """Parent, provider and operator terminate the same contract at once: one wins, the
    unbilled months come back once."""
    period = approved_period(vorkuta)
    cases = enrolled(vorkuta, operator, 5)  # 28 Nov – 31 May: 7 months, 200 000,00 ₽ each
    calls = []
    for fam, staff, contract in cases:
        for actor, reason in [(fam.parent, ""), (staff, "Отчислен"), (operator, "Проверка")]:
            calls += [
                lambda c=contract, a=actor, r=reason: services.terminate(
                    actor=as_user(a.pk), contract=c, reason=r
                )
            ] * 2

    with clock.frozen(dt.date(2027, 2, 10)):
        outcomes = run_at_once(calls)

    done = [o for o in outcomes if isinstance(o, Contract)]
    assert len(done) == 5 and {c.pk for c in done} == {c.pk for _, _, c in cases}
    assert codes(outcomes) == {"not_active": 25}
    assert_each_reservation_resolved_at_most_once()
    for fam, _, contract in cases:
        contract.refresh_from_db()
        assert contract.status == Contract.Status.TERMINATED
        # March, April and May are released, once each; November–February stay for billing.
        released = Transfer.objects.filter(
            kind=Transfer.Kind.RELEASE, ref_type="contract", ref_id=contract.pk
        )
        assert released.count() == 3
        assert sum(released.values_list("amount_kopecks", flat=True)) == 3 * 200_000
        assert len(open_reservations(contract)) == 4
        account = certificate_account(fam, period)
        assert account.debits_pending_kopecks == 4 * 200_000
        assert account.available_kopecks == NOMINAL - 4 * 200_000
        assert seats_and_holders(contract.group_id) == (0, 0)
    assert verify_ledger() == []


def test_accept_decline_and_terminate_of_one_offer_at_once(vorkuta, operator):
    """Accepting and declining the same offer at once: exactly one of them happens; a
    termination racing them succeeds only after an acceptance, and releases everything once."""
    period = approved_period(vorkuta)
    # Lessons from 1 December: a termination before the start releases every month.
    cases = enrolled(vorkuta, operator, 6, starts_on=dt.date(2026, 12, 1), accept=False)
    calls = []
    for fam, _, contract in cases:
        for act, times in [(services.accept, 3), (services.decline, 3), (services.terminate, 2)]:
            calls += [
                lambda act=act, c=contract, p=fam.parent.pk: act(actor=as_user(p), contract=c)
            ] * times

    outcomes = run_at_once(calls)

    assert all(isinstance(e, Conflict) for e in errors_of(outcomes)), codes(outcomes)
    assert_each_reservation_resolved_at_most_once()
    for index, (fam, _, contract) in enumerate(cases):
        mine = outcomes[index * 8 : index * 8 + 8]
        accepts, declines, terminations = mine[:3], mine[3:6], mine[6:]
        wins = [o for o in accepts + declines if isinstance(o, Contract)]
        assert len(wins) == 1, mine
        ended = [o for o in terminations if isinstance(o, Contract)]
        assert len(ended) <= 1
        contract.refresh_from_db()
        account = certificate_account(fam, period)
        reserves = Transfer.objects.filter(
            kind=Transfer.Kind.RESERVE, ref_type="contract", ref_id=contract.pk
        )
        releases = Transfer.objects.filter(
            kind=Transfer.Kind.RELEASE, ref_type="contract", ref_id=contract.pk
        )
        if any(isinstance(o, Contract) for o in declines):
            assert contract.status == Contract.Status.DECLINED and not ended
            assert not reserves.exists() and not releases.exists()
            assert account.debits_pending_kopecks == 0
        elif ended:
            assert contract.status == Contract.Status.TERMINATED
            assert reserves.count() == releases.count() == 6
            assert account.debits_pending_kopecks == 0
        else:
            assert contract.status == Contract.Status.ACTIVE
            assert reserves.count() == 6 and not releases.exists()
            assert account.debits_pending_kopecks == contract.certificate_kopecks
        assert account.available_kopecks == NOMINAL - account.debits_pending_kopecks
        holding = 1 if contract.status == Contract.Status.ACTIVE else 0
        assert seats_and_holders(contract.group_id) == (holding, holding)
    assert verify_ledger() == []


def test_places_freed_at_once_go_to_the_first_in_line_once_each(vorkuta, operator):
    """Five contracts end while five newcomers apply: the five places go, one each, to the
    first five of the waitlist, and the newcomers join the end of the line."""
    approved_period(vorkuta, quota=30)
    group = ready_group(vorkuta, capacity=5)
    staff = staff_of(group.module.program.provider)
    contracts = []
    for _ in range(5):
        fam = family(vorkuta, operator)
        application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
        offer = services.confirm(actor=staff, application=application)
        contracts.append((fam, services.accept(actor=fam.parent, contract=offer)))
    line = []
    for _ in range(10):
        fam = family(vorkuta, operator)
        line.append(services.apply(actor=fam.parent, certificate=fam.certificate, group=group))
    assert {a.status for a in line} == {Application.Status.WAITLISTED}
    newcomers = [family(vorkuta, operator) for _ in range(5)]

    calls = [
        lambda f=f, c=c: services.terminate(actor=as_user(f.parent.pk), contract=c)
        for f, c in contracts
    ] + [
        lambda f=f: services.apply(
            actor=as_user(f.parent.pk), certificate=f.certificate, group=group
        )
        for f in newcomers
    ]
    with Sampler(lambda: seats_and_holders(group.pk)) as seen:
        outcomes = run_at_once(calls)

    assert errors_of(outcomes) == []
    assert all(seats == holding <= 5 for seats, holding in seen.samples)
    assert {a.status for a in outcomes[5:]} == {Application.Status.WAITLISTED}
    for application in line:
        application.refresh_from_db()
    assert [a.status for a in line] == ["offered"] * 5 + ["waitlisted"] * 5
    assert Contract.objects.filter(group=group, status=Contract.Status.OFFERED).count() == 5
    assert seats_and_holders(group.pk) == (5, 5)
    waiting = Application.objects.filter(group=group, status=Application.Status.WAITLISTED)
    assert sorted(selectors.waitlist_position(a) for a in waiting) == list(range(1, 11))
    assert verify_ledger() == []


# ------------------------------------------------------------------ one Idempotency-Key


def bearer(user) -> str:
    """An API token of `user` (whose password need not change first)."""
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    return f"Bearer {accounts.issue_api_token(user=user)[1]}"


def post_at_once(url: str, auth: str, body: dict | None, times: int = 10):
    """The same request with the same Idempotency-Key, `times` times at once."""

    def post():
        return APIClient().post(
            url, body, format="json", HTTP_AUTHORIZATION=auth, HTTP_IDEMPOTENCY_KEY="same-key"
        )

    responses = run_at_once([post] * times)
    assert errors_of(responses) == []
    return responses, post


def assert_one_effect(responses, created: int):
    """One call did the work; the others replayed its answer or were told it is running."""
    first = [r for r in responses if r.status_code == created and "Idempotent-Replayed" not in r]
    assert len(first) == 1, [(r.status_code, r.content[:120]) for r in responses]
    for r in responses:
        if r is first[0]:
            continue
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "idempotency_in_progress"
        else:
            assert r.status_code == created and r["Idempotent-Replayed"] == "true"
            assert r.json() == first[0].json()
    assert IdempotencyRecord.objects.filter(key="same-key").count() == 1
    return first[0]


def test_one_idempotency_key_sent_ten_times_accepts_the_offer_once(vorkuta, operator):
    period = approved_period(vorkuta)
    [(fam, _, offer)] = enrolled(vorkuta, operator, 1, accept=False)
    auth = bearer(fam.parent)

    responses, again = post_at_once(f"/api/v1/contracts/{offer.pk}/accept/", auth, None)

    first = assert_one_effect(responses, 200)
    assert first.json()["status"] == Contract.Status.ACTIVE
    offer.refresh_from_db()
    assert offer.status == Contract.Status.ACTIVE
    reserves = Transfer.objects.filter(
        kind=Transfer.Kind.RESERVE, ref_type="contract", ref_id=offer.pk
    )
    assert reserves.count() == 7
    assert certificate_account(fam, period).debits_pending_kopecks == offer.certificate_kopecks
    # Once the first has answered, every repeat gets its answer.
    late = again()
    assert late.status_code == 200 and late["Idempotent-Replayed"] == "true"
    assert late.json() == first.json()
    assert reserves.count() == 7
    assert verify_ledger() == []


def test_one_idempotency_key_sent_ten_times_files_one_application(vorkuta, operator):
    approved_period(vorkuta)
    fam = family(vorkuta, operator)
    group = ready_group(vorkuta, capacity=1)
    body = {"certificate": fam.certificate.pk, "group": group.pk, "copay_agreed": False}

    responses, _ = post_at_once("/api/v1/applications/", bearer(fam.parent), body)

    first = assert_one_effect(responses, 201)
    assert first.json()["status"] == Application.Status.NEW
    assert Application.objects.filter(child=fam.child).count() == 1
    assert seats_and_holders(group.pk) == (1, 1)


# ------------------------------------------------------------ the in-person confirmation code


def test_thirty_wrong_codes_at_once_are_compared_five_times_then_the_code_is_void(
    vorkuta, operator, settings
):
    """Three staff members of one provider (so no one's rate limit stops them) type thirty
    wrong codes at once: five are compared, the rest find the code void; then the right code,
    sent at once with more wrong ones, concludes nothing."""
    settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, "confirm_code_staff": "1000/3600"}
    period = approved_period(vorkuta)
    group = ready_group(vorkuta)
    provider = group.module.program.provider
    staff = [staff_of(provider).pk for _ in range(3)]
    fam = family(vorkuta, operator)
    filed = services.apply_in_person(
        actor=as_user(staff[0]),
        certificate_number=fam.certificate.number,
        surname=fam.certificate.child.last_name,
        group=group,
    )
    note = fam.parent.notifications.get(subject="Подтвердите запись ребёнка")
    code = re.search(r"код (\d{6})", note.body).group(1)
    wrong = [f"{(int(code) + k) % 1_000_000:06d}" for k in range(1, 41)]
    # Read once here, so threads share no lazy loading.
    application = Application.objects.select_related("municipality").get(pk=filed.pk)

    def typing(n: int, given: str):
        return lambda: services.confirm_with_code(
            actor=as_user(staff[n % 3]), application=application, code=given
        )

    outcomes = run_at_once([typing(n, given) for n, given in enumerate(wrong[:30])])

    assert not [o for o in outcomes if not isinstance(o, Exception)]
    assert codes(outcomes) == {"validation_error": 4, "confirmation_code_void": 26}
    application.refresh_from_db()
    assert application.code_failures == 5 and application.code_voided_at is not None
    assert application.confirm_code_hash == ""
    logged = ActionLog.objects.filter(action="enrolment.code_failed", object_id=str(application.pk))
    assert logged.filter(details__reason="wrong").count() == 5
    assert ActionLog.objects.filter(action="enrolment.code_voided").count() == 1

    late = run_at_once(
        [typing(n, code) for n in range(5)] + [typing(n, wrong[30 + n]) for n in range(5)]
    )
    assert codes(late) == {"confirmation_code_void": 10}
    assert not Contract.objects.filter(application=application).exists()
    assert certificate_account(fam, period).debits_pending_kopecks == 0
    application.refresh_from_db()
    assert application.status == Application.Status.AWAITING_PARENT
    assert application.code_failures == 5
