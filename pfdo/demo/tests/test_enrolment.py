"""The enrolment demo: contracts of both kinds, honest places and waitlists, an exact ledger."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.db.models import Count, F
from django.utils import timezone

from pfdo.accounts.models import Notification, User
from pfdo.audit.models import ActionLog
from pfdo.catalog.models import Group
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.months import months_between
from pfdo.common.tests.worlds import copy_of, world_once
from pfdo.demo import enrolment as demo
from pfdo.demo.seed import seed
from pfdo.enrolment import selectors, services
from pfdo.enrolment.models import Application, Contract, ContractMonth
from pfdo.financing.selectors import current_period
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger
from pfdo.territory.models import Municipality

TODAY = dt.date(2026, 11, 28)
# Generated children over the hand-written catalogue (17 groups): enough to fill some groups.
GENERATED = 300

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


def _seed() -> tuple:
    with clock.frozen(TODAY):
        report = seed("small", generated=False, children=GENERATED)
        vorkuta = Municipality.objects.get(code="vorkuta")
        return report, vorkuta, current_period(vorkuta)


# Seeded once for the module (rolled back at its end); each test in its own savepoint.
_seeded = world_once(_seed)


@pytest.fixture
def seeded(_seeded, db):
    return copy_of(_seeded)


def snapshot():
    return (
        Application.objects.count(),
        Application.history.count(),
        Contract.objects.count(),
        ContractMonth.objects.count(),
        Transfer.objects.count(),
        Account.objects.count(),
        ActionLog.objects.count(),
        Notification.objects.count(),
        list(Group.objects.order_by("pk").values_list("seats_taken", flat=True)),
        list(Contract.objects.order_by("pk").values_list("status", "certificate_kopecks")),
    )


def test_contracts_of_both_kinds_honest_places_and_an_exact_ledger(seeded):
    report, vorkuta, period = seeded
    summary = report.enrolment
    assert summary == demo.summary(municipality=vorkuta)
    active = Contract.objects.filter(status=Contract.Status.ACTIVE)
    assert summary.active_certificate == active.filter(funding="certificate").count() >= 60
    assert summary.active_budget == active.filter(funding="budget").count() >= 30
    assert summary.with_copay > 0 and active.filter(copay_kopecks__gt=0).exists()
    assert summary.terminated >= 2
    assert summary.new_applications >= 2 and summary.offers >= 1
    assert summary.waitlisted >= 1 and summary.full_groups >= 1

    # Financing certificates pay certified programmes, accounting ones take budget programmes.
    for contract in Contract.objects.select_related("certificate", "group__module__program"):
        program = contract.group.module.program
        if contract.funding == Contract.Funding.CERTIFICATE:
            assert contract.certificate.type == Certificate.Type.FINANCING
            assert program.is_certified and program.budget_registry == "none"
        else:
            assert program.budget_registry != "none"
            assert contract.price_kopecks == contract.certificate_kopecks == 0
        assert contract.number == f"{period.starts_on:%Y}-{contract.pk:06d}"

    # Places: each group holds exactly its holding applications, never more than it has; a
    # waitlist stands only in a full group and everyone in it came after the last place went.
    holding = dict(
        Application.objects.filter(status__in=Application.HOLDING)
        .order_by()
        .values("group_id")
        .annotate(n=Count("pk"))
        .values_list("group_id", "n")
    )
    for group in Group.objects.all():
        assert group.seats_taken == holding.get(group.pk, 0) <= group.capacity, group.pk
    waiting = Application.objects.filter(status=Application.Status.WAITLISTED)
    for group_id in set(waiting.values_list("group_id", flat=True)):
        group = Group.objects.get(pk=group_id)
        assert group.seats_taken == group.capacity, group.pk
        first = waiting.filter(group=group).order_by("created_at", "pk").first()
        last_holder = (
            Application.objects.filter(group=group, status__in=Application.HOLDING)
            .order_by("-created_at")
            .first()
        )
        assert first.created_at > last_holder.created_at
        assert selectors.waitlist_position(first) == 1
    assert not Group.objects.filter(seats_taken__gt=F("capacity")).exists()

    # Nothing is overdue: the deadline job finds nothing to expire or complete.
    assert services.run_deadlines() == services.JobResult(0, 0, 0)

    # Money: the ledger agrees with itself and no certificate is overspent.
    assert verify_ledger() == []
    balances = certificate_selectors.balances(
        Certificate.objects.filter(type=Certificate.Type.FINANCING), period
    )
    assert balances and all(b.available_kopecks >= 0 for b in balances.values())


def test_each_month_is_reserved_as_the_services_reserve_it(seeded):
    _report, _vorkuta, period = seeded
    transfers = Transfer.objects.in_bulk(
        ContractMonth.objects.filter(reservation_id__isnull=False).values_list(
            "reservation_id", flat=True
        )
    )
    voided = set(
        Transfer.objects.filter(phase=Transfer.Phase.VOID_PENDING).values_list(
            "pending_id", flat=True
        )
    )
    accounts = {a.pk: a for a in Account.objects.all()}
    contracts = Contract.objects.prefetch_related("months").select_related("group__module")
    checked = 0
    for contract in contracts:
        months = list(contract.months.all())
        # The months the services would clip, the price prorated by them, the split exact.
        assert [m.month for m in months] == months_between(contract.starts_on, contract.ends_on)
        group = contract.group
        whole = len(months_between(group.starts_on, group.ends_on))
        if contract.funding == Contract.Funding.CERTIFICATE:
            assert contract.price_kopecks == group.module.price_kopecks * len(months) // whole
            assert contract.certificate_kopecks <= min(
                contract.price_kopecks, contract.normative_kopecks
            )
        assert sum(m.certificate_kopecks for m in months) == contract.certificate_kopecks
        assert sum(m.copay_kopecks for m in months) == contract.copay_kopecks
        reserved = contract.status in (Contract.Status.ACTIVE, Contract.Status.TERMINATED)
        for m in months:
            if not reserved or m.certificate_kopecks == 0:
                assert m.reservation_id is None
                continue
            t = transfers[m.reservation_id]
            assert t.key == f"reserve:k{contract.pk}:{m.month:%Y-%m}"
            assert t.kind == Transfer.Kind.RESERVE and t.phase == Transfer.Phase.PENDING
            assert t.amount_kopecks == m.certificate_kopecks
            assert (t.ref_type, t.ref_id) == ("contract", contract.pk)
            debit, credit = accounts[t.debit_account_id], accounts[t.credit_account_id]
            assert (debit.kind, debit.holder_id, debit.period_id) == (
                "certificate",
                contract.certificate_id,
                period.pk,
            )
            assert (credit.kind, credit.holder_id) == ("provider", contract.provider_id)
            assert t.created_at <= contract.accepted_at + dt.timedelta(days=1)
            if contract.status == Contract.Status.TERMINATED:
                # The month of termination stays for billing; the later ones came back.
                month_of_end = timezone.localdate(contract.ended_at).replace(day=1)
                assert (t.pk in voided) == (m.month > month_of_end)
            else:
                assert t.pk not in voided
            checked += 1
    assert checked > 0


def test_children_get_only_what_the_services_would_allow(seeded):
    _report, _vorkuta, period = seeded
    per_certificate = defaultdict(int)
    for application in Application.objects.filter(status__in=Application.HOLDING).select_related(
        "certificate__child", "group__module__program"
    ):
        program = application.group.module.program
        child = application.certificate.child
        on = max(application.group.starts_on, timezone.localdate(application.created_at))
        age = child.age_months(on)
        assert program.age_from_months <= age < program.age_to_months, application.pk
        assert services.schedule_clash(application.certificate, application.group) is None
        if application.certificate.type == Certificate.Type.ACCOUNTING:
            per_certificate[application.certificate_id] += 1
        assert application.created_at > application.certificate.issued_at
    assert per_certificate
    assert max(per_certificate.values()) <= period.accounting_program_limit
    now = clock.now()
    assert not Application.objects.filter(
        status=Application.Status.NEW, decide_by__lte=now
    ).exists()
    assert not Contract.objects.filter(
        status=Contract.Status.OFFERED, offer_expires_at__lte=now
    ).exists()


def test_a_second_run_creates_nothing(seeded):
    before = snapshot()
    seed("small", generated=False, children=GENERATED)
    assert snapshot() == before
    assert verify_ledger() == []


def test_demo_parent_and_demo_provider_have_something_to_see(seeded):
    _report, _vorkuta, period = seeded
    parent = User.objects.get(username="parent")
    contracts = Contract.objects.filter(parent=parent, status=Contract.Status.ACTIVE)
    paid = contracts.get(funding=Contract.Funding.CERTIFICATE)
    assert paid.child.first_name == "Анна"
    assert paid.months.filter(reservation_id__isnull=False).count() == paid.months.count() > 0
    money = certificate_selectors.balance(paid.certificate, period)
    # The months billed so far are spent, the rest still reserved.
    assert money.reserved_kopecks + money.spent_kopecks == paid.certificate_kopecks > 0
    assert money.reserved_kopecks > 0
    free = contracts.get(funding=Contract.Funding.BUDGET)
    assert free.child.first_name == "Михаил"
    assert free.certificate.type == Certificate.Type.ACCOUNTING
    # Анна's application «Полярный код» has still to decide, with the co-payment agreed.
    waiting = Application.objects.get(parent=parent, status=Application.Status.NEW)
    assert waiting.copay_agreed
    assert waiting.provider.staff.filter(user__username="provider").exists()
    # Made through the services: the history and the parent's notifications are there.
    assert ActionLog.objects.filter(
        action="enrolment.contract_accepted", object_id=str(paid.pk)
    ).exists()
    assert Notification.objects.filter(user=parent, subject__startswith="Договор №").exists()
    # Анна's robotics, filed in person: wrong codes made the code void, the parent confirms.
    in_person = Application.objects.get(parent=parent, status=Application.Status.AWAITING_PARENT)
    assert in_person.code_voided_at is not None
    assert in_person.code_failures == services.code_attempts()
    assert Notification.objects.filter(
        user=parent, subject="Код подтверждения записи аннулирован"
    ).exists()

    provider_user = User.objects.get(username="provider")
    mine = Application.objects.for_user(provider_user)
    assert mine.filter(status=Application.Status.NEW).count() >= 1
    assert Contract.objects.for_user(provider_user).filter(status="active").exists()
    # An offer waits for a parent (Даниил's hockey) and one contract was terminated by hand.
    assert Contract.objects.filter(
        status=Contract.Status.OFFERED, child__first_name="Даниил"
    ).exists()
    assert ActionLog.objects.filter(action="enrolment.contract_terminated").exists()


def test_the_public_enrolment_check_finds_the_demo_children(seeded):
    """README's demo: Анна Иванова, the last digits of her birth certificate I-ЕА 100101."""
    anna = services.check_enrolment(
        actor=None, surname="Иванова", first_name="Анна", document_suffix="0101"
    )
    assert "Школа юного художника" in {e.program for e in anna.enrolments}
    assert all(e.is_active for e in anna.enrolments)
    # A generated child (bulk-written cards carry the key too).
    contract = (
        Contract.objects.filter(status=Contract.Status.ACTIVE)
        .exclude(child__last_name="Иванова")
        .select_related("child", "group__module__program")
        .order_by("pk")
        .first()
    )
    child = contract.child
    found = services.check_enrolment(
        actor=None,
        surname=child.last_name,
        first_name=child.first_name,
        document_suffix="".join(ch for ch in child.document_number if ch.isdigit())[-4:],
    )
    assert contract.group.module.program.name in {e.program for e in found.enrolments}
