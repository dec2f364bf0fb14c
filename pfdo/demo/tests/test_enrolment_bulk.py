"""Region-scale contracts in bulk: honest money, places and ledger, written once."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from django.db.models import Count, F
from django.utils import timezone

from pfdo.accounts.models import Membership, User
from pfdo.catalog.models import Group, Module
from pfdo.certificates.models import (
    Certificate,
    CertificateApplication,
    Child,
    Guardianship,
    NumberSequence,
    age_in_months,
)
from pfdo.common import clock
from pfdo.common.money import split_kopecks
from pfdo.common.months import months_between
from pfdo.demo import certificates as certificates_demo
from pfdo.demo import enrolment_bulk as demo_bulk
from pfdo.demo.catalog_bulk import seed_region_catalog
from pfdo.enrolment.models import Application, Contract, ContractMonth
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 28)
CONTRACTS = 300
CATALOGUE = {"providers": 12, "programs": 40, "modules": 70, "groups": 60, "schedule_entries": 160}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def komi(region, vorkuta):
    """Three municipalities with the region catalogue and its approved periods (not funded)."""
    MunicipalityFactory(region=region, code="syktyvkar", name="Сыктывкар", number=1)
    MunicipalityFactory(region=region, code="inta", name="Инта", number=4)
    seed_region_catalog(region=region, **CATALOGUE)
    return region


@pytest.fixture
def seeded(komi):
    return demo_bulk.seed_region_contracts(region=komi, contracts=CONTRACTS)


def snapshot():
    return (
        User.objects.count(),
        Membership.objects.count(),
        Child.objects.count(),
        Guardianship.objects.count(),
        CertificateApplication.objects.count(),
        Certificate.objects.count(),
        Application.objects.count(),
        Contract.objects.count(),
        ContractMonth.objects.count(),
        Account.objects.count(),
        Transfer.objects.count(),
        list(NumberSequence.objects.order_by("pk").values_list("last_value", flat=True)),
        list(Group.objects.order_by("pk").values_list("seats_taken", "capacity")),
        list(Module.objects.order_by("pk").values_list("max_children", flat=True)),
        list(
            FinancingPeriod.objects.order_by("pk").values_list(
                "certificate_quota", "budget_kopecks", "commitments_started_at"
            )
        ),
    )


def test_families_certificates_and_contracts_are_counted_and_whole(seeded):
    report = seeded
    contracts = Contract.objects.all()
    assert report.contracts == CONTRACTS == contracts.count()
    assert set(contracts.values_list("status", "funding").distinct()) == {
        (Contract.Status.ACTIVE, Contract.Funding.CERTIFICATE)
    }
    # Spread over the municipalities by size, the largest taking the most.
    by_municipality = Counter(contracts.values_list("municipality__code", flat=True))
    assert len(by_municipality) >= 2
    assert by_municipality.most_common(1)[0][0] == "syktyvkar"
    # Some children hold two contracts; every child one financing certificate and a parent.
    assert report.children == Child.objects.count() < CONTRACTS
    assert report.municipalities == len(by_municipality) and report.skipped == 0
    per_child = Counter(contracts.values_list("child_id", flat=True))
    assert set(per_child.values()) == {1, 2}
    assert Certificate.objects.filter(type="financing", status="active").count() == report.children
    assert CertificateApplication.objects.filter(status="approved").count() == report.children
    assert Guardianship.objects.count() == report.children
    parents = User.objects.filter(username__contains="-region-")
    assert parents.count() == report.parents < report.children
    assert not any(p.has_usable_password() for p in parents)
    assert Membership.objects.filter(user__in=parents, role="parent").count() == report.parents
    # The applications' parent is the child's guardian.
    for application in Application.objects.select_related("child"):
        assert application.status == Application.Status.ENROLLED
        assert application.child.guardianships.get().user_id == application.parent_id


def test_money_split_months_and_dates_are_consistent(seeded):
    october = dt.date(2026, 10, 1)
    for contract in Contract.objects.select_related("group__module__program", "period"):
        group, program, period = contract.group, contract.group.module.program, contract.period
        assert contract.price_kopecks == contract.certificate_kopecks + contract.copay_kopecks
        assert (
            0
            < contract.certificate_kopecks
            <= min(contract.price_kopecks, contract.normative_kopecks)
        )
        assert contract.number == f"{period.starts_on:%Y}-{contract.pk:06d}"
        assert program.is_certified and program.budget_registry == "none"
        assert max(group.starts_on, period.starts_on) <= contract.starts_on <= october
        assert contract.ends_on == min(group.ends_on, period.ends_on) >= dt.date(2026, 10, 31)
        assert contract.application.created_at < contract.offered_at < contract.accepted_at
        assert contract.certificate.issued_at < contract.application.created_at
        assert contract.accepted_at < clock.now()
        age = age_in_months(contract.child.birth_date, max(group.starts_on, contract.starts_on))
        assert program.age_from_months <= age < program.age_to_months
        assert contract.certificate.valid_until > contract.ends_on
        months = list(contract.months.order_by("month"))
        assert [m.month for m in months] == months_between(contract.starts_on, contract.ends_on)
        assert [m.certificate_kopecks for m in months] == split_kopecks(
            contract.certificate_kopecks, len(months)
        )
        assert [m.copay_kopecks for m in months] == split_kopecks(
            contract.copay_kopecks, len(months)
        )
    # Most contracts start with their group (the period's first day at the latest), a few
    # later, when the family enrolled.
    on_time = sum(
        contract.starts_on == max(contract.group.starts_on, contract.period.starts_on)
        for contract in Contract.objects.select_related("group", "period")
    )
    assert CONTRACTS * 0.6 <= on_time < CONTRACTS
    assert Contract.objects.filter(copay_kopecks__gt=0).exists()


def test_every_month_is_reserved_on_the_certificate_and_the_ledger_agrees(seeded):
    months = ContractMonth.objects.select_related("contract")
    assert months.count() == seeded.months == seeded.reservations
    assert not months.filter(certificate_kopecks=0).exists()
    transfers = Transfer.objects.in_bulk([m.reservation_id for m in months])
    for month in months:
        contract = month.contract
        reservation = transfers[month.reservation_id]
        assert reservation.key == f"reserve:k{contract.pk}:{month.month:%Y-%m}"
        assert (reservation.kind, reservation.phase) == ("reserve", "pending")
        assert reservation.amount_kopecks == month.certificate_kopecks
        assert (reservation.ref_type, reservation.ref_id) == ("contract", contract.pk)
        assert reservation.debit_account.key == (
            f"certificate:p{contract.period_id}:h{contract.certificate_id}"
        )
        assert reservation.credit_account.key == (
            f"provider:p{contract.period_id}:h{contract.provider_id}"
        )
    # What each certificate promised never exceeds its granted nominal.
    promised = defaultdict(int)
    for certificate_id, part in Contract.objects.values_list(
        "certificate_id", "certificate_kopecks"
    ):
        promised[certificate_id] += part
    for account in Account.objects.filter(kind="certificate", holder_id__in=list(promised)):
        assert account.debits_pending_kopecks == promised[account.holder_id]
        assert account.credits_posted_kopecks >= promised[account.holder_id]
    assert Transfer.objects.filter(kind="grant").count() == seeded.children
    assert verify_ledger() == []


def test_places_count_the_contracts_and_stay_within_capacity(seeded):
    assert not Group.objects.filter(seats_taken__gt=F("capacity")).exists()
    holding = dict(
        Application.objects.filter(status__in=Application.HOLDING)
        .values("group_id")
        .annotate(n=Count("pk"))
        .values_list("group_id", "n")
    )
    used = Group.objects.filter(pk__in=list(holding))
    assert {g.pk: g.seats_taken for g in used} == holding
    assert not Group.objects.filter(capacity__gt=F("module__max_children")).exists()
    assert seeded.groups_enlarged > 0
    # The quota covers the financing certificates of each period.
    for period in FinancingPeriod.objects.all():
        live = Certificate.objects.filter(
            municipality=period.municipality, type="financing", status__in=Certificate.LIVE
        ).count()
        assert live <= period.certificate_quota
        assert period.is_locked


def test_a_second_run_writes_nothing(komi, seeded):
    before = snapshot()
    again = demo_bulk.seed_region_contracts(region=komi, contracts=CONTRACTS)
    assert again.municipalities == 0 and again.skipped == seeded.municipalities
    assert again.contracts == 0
    assert snapshot() == before
    assert demo_bulk.size_periods(region=komi, contracts=CONTRACTS) == 0


def test_skipped_municipalities_get_nothing(komi, vorkuta):
    report = demo_bulk.seed_region_contracts(region=komi, contracts=120, skip=[vorkuta])
    assert report.contracts == 120
    assert not Contract.objects.filter(municipality=vorkuta).exists()
    assert not Child.objects.filter(municipality=vorkuta).exists()


def test_periods_are_sized_before_funding_and_refused_when_funded_too_small(komi):
    syktyvkar = komi.municipalities.get(code="syktyvkar")
    period = FinancingPeriod.objects.get(municipality=syktyvkar)
    # Funded at the catalogue's size: its budget and quota are fixed from then on.
    certificates_demo.fund_period(period)
    assert demo_bulk.size_periods(region=komi, contracts=6_000) == 2  # the two others
    period.refresh_from_db()
    assert period.certificate_quota == 2_000
    with pytest.raises(ValueError, match="funded before"):
        demo_bulk.seed_region_contracts(region=komi, contracts=6_000)
    assert not Contract.objects.filter(municipality=syktyvkar).exists()
    assert verify_ledger() == []


def test_the_clock_can_be_pinned_from_the_environment(monkeypatch):
    # Outside this file's frozen clock for a moment (restored before the fixture ends it).
    saved, clock._frozen = clock._frozen, None
    try:
        monkeypatch.setenv("PFDO_TODAY", "2026-11-28")
        assert clock.today() == TODAY and timezone.localtime(clock.now()).hour == 12
        monkeypatch.setenv("PFDO_TODAY", "2026-10-05T10:30")
        assert timezone.localtime(clock.now()) == timezone.make_aware(
            dt.datetime(2026, 10, 5, 10, 30)
        )
        with clock.frozen(TODAY):
            assert clock.today() == TODAY
        assert clock.today() == dt.date(2026, 10, 5)
        monkeypatch.delenv("PFDO_TODAY")
        before = timezone.now()
        assert before <= clock.now() <= timezone.now()
    finally:
        clock._frozen = saved
