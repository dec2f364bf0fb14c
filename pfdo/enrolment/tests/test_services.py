"""Enrolment services: preconditions, places and waitlist, offer, acceptance, termination."""

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.catalog.models import Group
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificate_services
from pfdo.common import clock
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.enrolment import selectors, services
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.ledger.selectors import verify_ledger

TODAY = dt.date(2026, 11, 28)
NOMINAL = 2_417_100

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


def balance(fam, period):
    return certificate_selectors.balance(fam.certificate, period)


def test_terms_clip_to_today_and_split_by_month(vorkuta, operator, period):
    fam = family(vorkuta, operator)
    group = ready_group(vorkuta, price=1_800_000, normative=2_000_000)
    terms = services.compute_terms(certificate=fam.certificate, group=group)
    # 28 Nov 2026 – 31 May 2027: 7 of the group's 9 months.
    assert terms.starts_on == TODAY and terms.ends_on == dt.date(2027, 5, 31)
    assert len(terms.months) == 7
    assert terms.price_kopecks == 1_800_000 * 7 // 9 == 1_400_000
    assert terms.normative_kopecks == 2_000_000 * 7 // 9
    assert terms.certificate_kopecks == 1_400_000 and terms.copay_kopecks == 0
    assert sum(terms.certificate_months) == 1_400_000
    assert terms.remaining_kopecks == NOMINAL - 1_400_000


def test_full_journey_online_reserves_and_terminates(vorkuta, operator, period):
    fam = family(vorkuta, operator)
    group = ready_group(vorkuta)
    staff = staff_of(group.module.program.provider)
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    assert application.status == Application.Status.NEW
    group.refresh_from_db()
    assert group.seats_taken == 1
    contract = services.confirm(actor=staff, application=application)
    assert contract.status == Contract.Status.OFFERED and contract.months.count() == 7
    services.accept(actor=fam.parent, contract=contract)
    money = balance(fam, period)
    assert money.reserved_kopecks == 1_400_000
    assert money.available_kopecks == NOMINAL - 1_400_000
    assert verify_ledger() == []
    with clock.frozen(dt.date(2027, 2, 10)):
        services.terminate(actor=fam.parent, contract=contract)
    # February stays reserved for billing; March–May (3 × 200 000) come back at once.
    money = balance(fam, period)
    assert money.reserved_kopecks == 1_400_000 - 600_000
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    group.refresh_from_db()
    assert group.seats_taken == 0
    with pytest.raises(Conflict):
        services.terminate(actor=fam.parent, contract=contract)
    assert verify_ledger() == []


def test_full_group_waitlists_and_freed_place_goes_to_first_in_line(vorkuta, operator, period):
    group = ready_group(vorkuta, capacity=1)
    staff = staff_of(group.module.program.provider)
    first, second, third = (family(vorkuta, operator) for _ in range(3))
    a1 = services.apply(actor=first.parent, certificate=first.certificate, group=group)
    a2 = services.apply(actor=second.parent, certificate=second.certificate, group=group)
    a3 = services.apply(actor=third.parent, certificate=third.certificate, group=group)
    assert [a.status for a in (a1, a2, a3)] == ["new", "waitlisted", "waitlisted"]
    assert selectors.waitlist_position(a3) == 2
    services.reject(actor=staff, application=a1, reason="Нет медицинской справки")
    a2.refresh_from_db()
    assert a2.status == Application.Status.OFFERED
    assert Group.objects.get(pk=group.pk).seats_taken == 1
    # The offer expires: the place goes to the next in line.
    offer = a2.contract
    services.run_deadlines(now=offer.offer_expires_at + dt.timedelta(minutes=1))
    a3.refresh_from_db()
    assert a3.status == Application.Status.OFFERED
    assert Group.objects.get(pk=group.pk).seats_taken == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"is_published": False}, "enrolment_closed"),
        ({"age_from_months": 12 * 12}, "age_out_of_range"),
    ],
)
def test_program_preconditions(vorkuta, operator, period, change, code):
    fam = family(vorkuta, operator)
    group = ready_group(vorkuta, **change)
    with pytest.raises(Conflict) as err:
        services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    assert err.value.code == code
    assert not Application.objects.exists()
    assert Group.objects.get(pk=group.pk).seats_taken == 0


def test_suspended_certificate_and_clash_and_copay(vorkuta, operator, period):
    fam = family(vorkuta, operator)
    one = ready_group(vorkuta)
    services.apply(actor=fam.parent, certificate=fam.certificate, group=one)
    clashing = ready_group(vorkuta, starts_at=dt.time(17, 0), ends_at=dt.time(18, 0))
    with pytest.raises(Conflict) as err:
        services.apply(actor=fam.parent, certificate=fam.certificate, group=clashing)
    assert err.value.code == "schedule_clash"
    pricey = ready_group(vorkuta, weekday=4, price=9_000_000, normative=2_000_000)
    with pytest.raises(Conflict) as err:
        services.apply(actor=fam.parent, certificate=fam.certificate, group=pricey)
    assert err.value.code == "copay_not_agreed" and "copay_agreed" in err.value.fields
    application = services.apply(
        actor=fam.parent, certificate=fam.certificate, group=pricey, copay_agreed=True
    )
    assert application.status == Application.Status.NEW
    certificate_services.suspend_certificate(
        actor=operator, certificate=fam.certificate, reason="Проверка"
    )
    other = ready_group(vorkuta, weekday=5)
    with pytest.raises(Conflict) as err:
        services.apply(actor=fam.parent, certificate=fam.certificate, group=other)
    assert err.value.code == "certificate_not_active"


def test_accounting_certificate_needs_budget_programme_and_counts(vorkuta, operator, period):
    fam = family(vorkuta, operator, wants_financing=False)
    paid = ready_group(vorkuta)
    with pytest.raises(Conflict) as err:
        services.apply(actor=fam.parent, certificate=fam.certificate, group=paid)
    assert err.value.code == "certificate_type_mismatch"
    free = [ready_group(vorkuta, weekday=d, budget_registry="significant") for d in (1, 3, 5)]
    services.apply(actor=fam.parent, certificate=fam.certificate, group=free[0])
    services.apply(actor=fam.parent, certificate=fam.certificate, group=free[1])
    with pytest.raises(Conflict) as err:
        services.apply(actor=fam.parent, certificate=fam.certificate, group=free[2])
    assert err.value.code == "accounting_limit_reached"


def test_in_person_with_code(vorkuta, operator, period):
    fam = family(vorkuta, operator)
    group = ready_group(vorkuta)
    staff = staff_of(group.module.program.provider)
    application = services.apply_in_person(
        actor=staff,
        certificate_number=fam.certificate.number,
        surname=fam.child.last_name,
        group=group,
    )
    assert application.status == Application.Status.AWAITING_PARENT
    note = fam.parent.notifications.order_by("-pk").first()
    code = note.body.split("код ")[1][:6]
    with pytest.raises(ValidationFailed):
        services.confirm_with_code(
            actor=staff, application=application, code="000000" if code != "000000" else "111111"
        )
    contract = services.confirm_with_code(actor=staff, application=application, code=code)
    assert contract.status == Contract.Status.ACTIVE
    assert balance(fam, period).reserved_kopecks == contract.certificate_kopecks > 0
    with pytest.raises(ValidationFailed):
        services.apply_in_person(
            actor=staff, certificate_number="1102999999", surname="Иванова", group=group
        )


def test_short_balance_at_acceptance_needs_the_new_share_agreed(vorkuta, operator, period):
    fam = family(vorkuta, operator)
    groups = [ready_group(vorkuta, weekday=d, price=2_000_000, normative=2_000_000) for d in (1, 3)]
    staff = [staff_of(g.module.program.provider) for g in groups]
    offers = []
    for g, s in zip(groups, staff, strict=True):
        a = services.apply(actor=fam.parent, certificate=fam.certificate, group=g)
        offers.append(services.confirm(actor=s, application=a))
    services.accept(actor=fam.parent, contract=offers[0])
    before = balance(fam, period)
    with pytest.raises(Conflict) as err:
        services.accept(actor=fam.parent, contract=offers[1])
    # Was insufficient_funds: the terms are recomputed on today's balance, and the family's
    # share grew, so the parent must agree to it first; nothing changes meanwhile.
    assert err.value.code == "terms_changed"
    assert balance(fam, period) == before
    offers[1].refresh_from_db()
    assert offers[1].status == Contract.Status.OFFERED
    services.accept(
        actor=fam.parent,
        contract=offers[1],
        copay_kopecks=offers[1].price_kopecks - before.available_kopecks,
    )
    assert balance(fam, period).available_kopecks == 0
    assert verify_ledger() == []
