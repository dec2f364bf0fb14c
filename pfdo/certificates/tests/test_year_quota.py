"""The quota and the budget belong to a period: the grant at its start funds in a stated
order, the rest wait in the switch queue, and every freed place goes to that queue first."""

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.accounts.models import Notification
from pfdo.certificates import selectors
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import Certificate, SwitchRequest
from pfdo.certificates.tests.factories import approved_period, issue_certificate
from pfdo.common import clock
from pfdo.ledger.selectors import budget_account_of, granted_holder_ids, verify_ledger

pytestmark = pytest.mark.django_db

NOMINAL = 2_417_100
YEAR2_START = dt.date(2027, 9, 1)


def parent(vorkuta, name="Ирина"):
    return certificate_services.register_parent(
        actor=None, municipality=vorkuta, last_name="Петрова", first_name=name
    )


def issue(vorkuta, operator, on, **child):
    with clock.frozen(on):
        return issue_certificate(
            operator=operator, municipality=vorkuta, parent=parent(vorkuta), **child
        ).certificate


def year2(vorkuta, *, quota, budget):
    return approved_period(
        vorkuta,
        name="ПФДО 2027/28",
        starts_on=YEAR2_START,
        ends_on=dt.date(2028, 8, 31),
        quota=quota,
        budget=budget,
    )


def test_year_08_smaller_quota_next_year_funds_in_order(vorkuta, operator):
    approved_period(vorkuta, quota=3)
    issued = [issue(vorkuta, operator, dt.date(2026, 9, day)) for day in (3, 1, 2)]
    first, second, third = sorted(issued, key=lambda c: c.issued_at)
    assert {c.type for c in issued} == {Certificate.Type.FINANCING}
    new = year2(vorkuta, quota=2, budget=2 * NOMINAL)

    with clock.frozen(YEAR2_START):
        made = certificate_services.grant_period_nominals(actor=operator, period=new)
    # Financing in the previous period, by issue: the first two get the places; nobody fails.
    assert made == 2
    assert set(granted_holder_ids(new).values_list("credit_account__holder_id", flat=True)) == {
        first.pk,
        second.pk,
    }
    third.refresh_from_db()
    assert third.type == Certificate.Type.ACCOUNTING
    assert "квота периода «ПФДО 2027/28» (2) заполнена" in third.type_reason
    request = SwitchRequest.objects.get(certificate=third)
    assert request.status == SwitchRequest.Status.WAITING
    guardian = third.child.guardians.get()
    note = Notification.objects.filter(user=guardian).latest("pk")
    assert "сертификат учёта в новом периоде" in note.subject
    assert selectors.financing_count(vorkuta, new) == 2 == selectors.funded_count(new)
    assert budget_account_of(new).available_kopecks == 0

    # A re-run creates nothing twice.
    before = (SwitchRequest.objects.count(), Notification.objects.count())
    with clock.frozen(YEAR2_START + dt.timedelta(days=1)):
        assert certificate_services.grant_period_nominals(actor=operator, period=new) == 0
    assert (SwitchRequest.objects.count(), Notification.objects.count()) == before

    # A new applicant in year 2 waits behind the queue: accounting certificate.
    late = issue(vorkuta, operator, dt.date(2027, 9, 10))
    assert late.type == Certificate.Type.ACCOUNTING
    assert verify_ledger() == []

    # A freed place (the first certificate cancelled) goes to the queued one.
    with clock.frozen(dt.date(2027, 10, 1)):
        certificate_services.cancel_certificate(actor=operator, certificate=first, reason="Переезд")
    third.refresh_from_db()
    request.refresh_from_db()
    assert third.type == Certificate.Type.FINANCING
    assert request.status == SwitchRequest.Status.FULFILLED
    assert selectors.funded_count(new) == 2
    assert verify_ledger() == []


def test_quota_counts_the_period_not_live_certificates_of_all_periods(vorkuta, operator):
    # A larger budget than the quota needs: the quota still decides.
    approved_period(vorkuta, quota=3)
    for day in (1, 2, 3):
        issue(vorkuta, operator, dt.date(2026, 9, day))
    new = year2(vorkuta, quota=2, budget=5 * NOMINAL)
    with clock.frozen(YEAR2_START):
        assert certificate_services.grant_period_nominals(actor=operator, period=new) == 2
    assert selectors.funded_count(new) == 2
    assert Certificate.objects.filter(type=Certificate.Type.ACCOUNTING).count() == 1


def test_budget_shorter_than_the_quota_funds_what_it_covers(vorkuta, operator):
    approved_period(vorkuta, quota=3)
    for day in (1, 2, 3):
        issue(vorkuta, operator, dt.date(2026, 9, day))
    new = year2(vorkuta, quota=2, budget=2 * NOMINAL)
    new.certificate_quota = 3  # a quota the budget cannot cover (data from before the check)
    new.save(update_fields=["certificate_quota"])
    with clock.frozen(YEAR2_START):
        assert certificate_services.grant_period_nominals(actor=operator, period=new) == 2
    left = Certificate.objects.get(type=Certificate.Type.ACCOUNTING)
    assert "бюджета периода «ПФДО 2027/28» не хватило" in left.type_reason
    assert verify_ledger() == []


def test_grant_before_the_period_starts_leaves_the_running_year_alone(vorkuta, operator):
    approved_period(vorkuta, quota=3)
    for day in (1, 2, 3):
        issue(vorkuta, operator, dt.date(2026, 9, day))
    new = year2(vorkuta, quota=2, budget=2 * NOMINAL)
    with clock.frozen(dt.date(2027, 8, 20)):
        assert certificate_services.grant_period_nominals(actor=operator, period=new) == 2
    assert not Certificate.objects.filter(type=Certificate.Type.ACCOUNTING).exists()
    with clock.frozen(YEAR2_START):
        assert certificate_services.grant_period_nominals(actor=operator, period=new) == 0
    assert Certificate.objects.filter(type=Certificate.Type.ACCOUNTING).count() == 1


def test_year_09_freed_place_goes_to_oldest_switch_request(vorkuta, operator):
    approved_period(vorkuta, quota=1)
    # The financing child turns 18 on 20 Nov 2026 (valid until 19 Nov).
    adult = issue(vorkuta, operator, dt.date(2026, 9, 1), birth_date=dt.date(2008, 11, 20))
    assert adult.type == Certificate.Type.FINANCING
    family_a = issue(vorkuta, operator, dt.date(2026, 9, 2))
    assert family_a.type == Certificate.Type.ACCOUNTING
    with clock.frozen(dt.date(2026, 9, 3)):
        request = certificate_services.request_switch(
            actor=family_a.child.guardians.get(), certificate=family_a
        )
    assert request.status == SwitchRequest.Status.WAITING

    with clock.frozen(dt.date(2026, 11, 20)):
        assert certificate_services.expire_certificates() == 1
    request.refresh_from_db()
    family_a.refresh_from_db()
    assert request.status == SwitchRequest.Status.FULFILLED
    assert family_a.type == Certificate.Type.FINANCING
    # The next day a new applicant finds the quota full again.
    family_b = issue(vorkuta, operator, dt.date(2026, 11, 21))
    assert family_b.type == Certificate.Type.ACCOUNTING
    assert verify_ledger() == []


def test_new_applicant_comes_after_the_queue_even_with_a_free_place(vorkuta, operator):
    # A request filed while no period ran waits; the period starts with room for one.
    family_a = issue(vorkuta, operator, dt.date(2026, 8, 1))
    with clock.frozen(dt.date(2026, 8, 2)):
        request = certificate_services.request_switch(
            actor=family_a.child.guardians.get(), certificate=family_a
        )
    approved_period(vorkuta, quota=1)
    family_b = issue(vorkuta, operator, dt.date(2026, 9, 1))
    request.refresh_from_db()
    assert request.status == SwitchRequest.Status.FULFILLED
    assert family_b.type == Certificate.Type.ACCOUNTING
    assert "квота" in family_b.type_reason
