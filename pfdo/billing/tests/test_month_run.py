"""The month run: every provider's documents once, idempotent, and the same after a crash."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.db import transaction

from pfdo.billing import services
from pfdo.billing.models import AdvanceRequest, DocumentStatus, Invoice, InvoiceLine
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract, staff_of
from pfdo.billing.tests.services_world import snapshot
from pfdo.common import clock, months
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.models import ContractMonth
from pfdo.ledger.models import Transfer

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
MONTH = 200_000
SEPTEMBER_1 = dt.date(2026, 9, 1)


def d(day: int, month: int = 10, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


@pytest.fixture
def payer(make_user, vorkuta):
    return make_user("payer", municipality=vorkuta)


@dataclass
class Dataset:
    providers: list = field(default_factory=list)
    contracts: dict = field(default_factory=dict)  # name → contract
    families: dict = field(default_factory=dict)


def build(vorkuta, operator, *, october: bool = True) -> Dataset:
    """Four providers on pro rata by days, built in date order.

    P1: c1 from 1 Sep (+ c2 from 15 Oct); P2: c3 from 1 Sep (terminated 9 Oct);
    P3: c4 from 1 Sep; P4: c5, c6 from 1 Sep, and c7 terminated 20 Sep (its October
    reservation returned, so October has nothing of it to bill).
    """
    approved_period(vorkuta, boundary_month_rule="pro_rata_days")
    data = Dataset()
    groups = []
    for weekday in (1, 2, 3, 4):
        group = ready_group(vorkuta, weekday=weekday)
        groups.append(group)
        data.providers.append(group.module.program.provider)

    def sign(name, group, on=SEPTEMBER_1):
        fam, contract = signed_contract(vorkuta, operator, group, on=on)
        data.contracts[name], data.families[name] = contract, fam

    sign("c1", groups[0])
    sign("c3", groups[1])
    sign("c4", groups[2])
    sign("c5", groups[3])
    sign("c6", groups[3])
    sign("c7", groups[3])
    with clock.frozen(d(20, 9)):
        enrolment.terminate(actor=data.families["c7"].parent, contract=data.contracts["c7"])
    if october:
        with clock.frozen(d(9)):
            enrolment.terminate(actor=data.families["c3"].parent, contract=data.contracts["c3"])
        sign("c2", groups[0], on=d(15))
    return data


def line_tuples() -> set[tuple[int, int, int]]:
    return set(
        InvoiceLine.objects.filter(invoice__month=OCT).values_list(
            "invoice__provider_id", "contract_id", "billed_kopecks"
        )
    )


def expected_tuples(data: Dataset) -> set[tuple[int, int, int]]:
    p, c = data.providers, data.contracts
    return {
        (p[0].pk, c["c1"].pk, MONTH),
        # 15–31 Oct = 17 of 31 days: 200 000 × 17 // 31 = 109 677.
        (p[0].pk, c["c2"].pk, 109_677),
        # 1–9 Oct = 9 of 31 days: 200 000 × 9 // 31 = 58 064.
        (p[1].pk, c["c3"].pk, 58_064),
        (p[2].pk, c["c4"].pk, MONTH),
        (p[3].pk, c["c5"].pk, MONTH),
        (p[3].pk, c["c6"].pk, MONTH),
    }


class Killed(Exception):
    """The process died."""


class Rollback(Exception):
    pass


def test_invoice_run_builds_one_invoice_per_provider_with_every_open_month(
    vorkuta, operator, payer
):
    data = build(vorkuta, operator)
    seen = []
    with clock.frozen(d(2, 11)):
        result = services.bill_month(
            actor=payer, municipality=vorkuta, month=OCT, progress=lambda *a: seen.append(a)
        )
    assert (result.providers, result.invoices_built, result.advances_built) == (4, 4, 0)
    assert (result.already_there, result.lines, result.refused) == (0, 6, [])
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    invoices = Invoice.objects.filter(month=OCT)
    assert sorted(invoices.values_list("provider_id", flat=True)) == sorted(
        p.pk for p in data.providers
    )
    assert set(invoices.values_list("status", flat=True)) == {DocumentStatus.DRAFT}
    # A line for every October contract month whose reservation is still open — c7's was
    # returned in September, so it has none.
    open_months = set(
        ContractMonth.objects.filter(month=OCT, reservation_id__isnull=False)
        .exclude(contract=data.contracts["c7"])
        .values_list("contract__provider_id", "contract_id")
    )
    assert {(p, c) for p, c, _ in line_tuples()} == open_months
    assert line_tuples() == expected_tuples(data)
    p4 = invoices.get(provider=data.providers[3])
    # P4: c5 + c6 = 400 000 billed and due (no advance).
    assert (p4.contracts_count, p4.billed_kopecks, p4.due_kopecks) == (2, 400_000, 400_000)

    # A second run creates nothing.
    before = snapshot()
    lines_before = line_tuples()
    with clock.frozen(d(3, 11)):
        again = services.bill_month(actor=payer, municipality=vorkuta, month=OCT)
    assert (again.invoices_built, again.already_there, again.lines) == (0, 4, 0)
    after = snapshot()
    assert after.pop("actions") == before.pop("actions") + 1  # the run itself is logged
    assert after == before
    assert line_tuples() == lines_before


def test_a_run_killed_half_way_ends_with_the_same_documents(vorkuta, operator, payer, monkeypatch):
    data = build(vorkuta, operator)
    # What an uninterrupted run builds on this very dataset (then undone).
    with clock.frozen(d(2, 11)):
        try:
            with transaction.atomic():
                services.bill_month(actor=payer, municipality=vorkuta, month=OCT)
                uninterrupted = line_tuples()
                raise Rollback
        except Rollback:
            pass
    assert uninterrupted == expected_tuples(data)
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()

    real = services.build_invoice
    calls = []

    def dies_on_the_third(*, actor, provider, month):
        calls.append(provider.pk)
        if len(calls) == 3:
            # Killed inside the third provider's transaction: what it wrote is rolled back.
            with transaction.atomic():
                real(actor=actor, provider=provider, month=month)
                assert Invoice.objects.filter(provider=provider).exists()
                raise Killed
        return real(actor=actor, provider=provider, month=month)

    monkeypatch.setattr(services.invoices, "build_invoice", dies_on_the_third)
    with clock.frozen(d(2, 11)), pytest.raises(Killed):
        services.bill_month(actor=payer, municipality=vorkuta, month=OCT)
    third = data.providers[2]
    assert calls[2] == third.pk
    assert sorted(Invoice.objects.values_list("provider_id", flat=True)) == sorted(
        p.pk for p in data.providers[:2]
    )
    monkeypatch.setattr(services.invoices, "build_invoice", real)

    with clock.frozen(d(2, 11)):
        result = services.bill_month(actor=payer, municipality=vorkuta, month=OCT)
    assert (result.invoices_built, result.already_there) == (2, 2)
    # Exactly one invoice per provider, with the lines of an uninterrupted run.
    assert sorted(Invoice.objects.values_list("provider_id", flat=True)) == sorted(
        p.pk for p in data.providers
    )
    assert line_tuples() == uninterrupted
    assert InvoiceLine.objects.count() == len(uninterrupted)


def test_a_provider_refused_does_not_stop_the_run(vorkuta, operator, payer):
    data = build(vorkuta, operator, october=False)
    staff = staff_of(data.providers[1])
    with clock.frozen(d(5)):
        advance = services.build_advance(actor=staff, provider=data.providers[1], month=OCT)
        services.submit_advance(actor=staff, advance=advance)
    # P2's advance still waits for the payer: its invoice cannot be built yet.
    with clock.frozen(d(2, 11)):
        result = services.bill_month(actor=payer, municipality=vorkuta, month=OCT)
    assert result.invoices_built == 3
    assert [name for name, _ in result.refused] == [data.providers[1].short_name]
    assert "ждёт решения плательщика" in result.refused[0][1]
    assert not Invoice.objects.filter(provider=data.providers[1]).exists()
    # Once decided, the next run builds only what is missing.
    with clock.frozen(d(3, 11)):
        services.accept_advance(actor=payer, advance=advance)
        again = services.bill_month(actor=payer, municipality=vorkuta, month=OCT)
    assert (again.invoices_built, again.already_there, again.refused) == (1, 3, [])
    p2 = Invoice.objects.get(provider=data.providers[1])
    # c3 (not terminated in this dataset): 200 000 billed − 160 000 advance = 40 000 due.
    assert (p2.billed_kopecks, p2.advance_kopecks, p2.due_kopecks) == (MONTH, 160_000, 40_000)


def test_advance_run_during_the_month(vorkuta, operator, payer):
    data = build(vorkuta, operator, october=False)
    before = snapshot()
    # Thu 1 Oct: the advance opens on the 2nd working day, Fri 2 Oct.
    with clock.frozen(d(1)), pytest.raises(Conflict) as exc:
        services.bill_month(actor=payer, municipality=vorkuta, month=OCT)
    assert exc.value.code == "advance_too_early"
    assert "02.10.2026" in exc.value.message
    assert snapshot() == before

    with clock.frozen(d(5)):
        result = services.bill_month(actor=payer, municipality=vorkuta, month=OCT)
    assert (result.advances_built, result.invoices_built, result.lines) == (4, 0, 5)
    amounts = dict(AdvanceRequest.objects.values_list("provider_id", "amount_kopecks"))
    p = data.providers
    # 80 % of 200 000 = 160 000 for P1–P3; P4: c5 + c6 = 400 000 → 320 000 (c7 ended).
    assert amounts == {p[0].pk: 160_000, p[1].pk: 160_000, p[2].pk: 160_000, p[3].pk: 320_000}
    assert not Invoice.objects.exists()
    assert not Transfer.objects.filter(kind=Transfer.Kind.CHARGE).exists()

    with clock.frozen(d(6)):
        again = services.bill_month(actor=payer, municipality=vorkuta, month=OCT)
    assert (again.advances_built, again.already_there) == (0, 4)
    assert AdvanceRequest.objects.count() == 4


def test_run_access_and_missing_period(vorkuta, operator, payer):
    data = build(vorkuta, operator, october=False)
    staff = staff_of(data.providers[0])
    before = snapshot()
    with clock.frozen(d(2, 11)):
        with pytest.raises(AccessDenied):
            services.bill_month(actor=staff, municipality=vorkuta, month=OCT)
        with pytest.raises(AccessDenied):
            services.bill_month(actor=operator, municipality=vorkuta, month=OCT)
        with pytest.raises(Conflict) as exc:
            services.bill_month(actor=payer, municipality=vorkuta, month=dt.date(2025, 10, 1))
        assert exc.value.code == "no_period"
    assert snapshot() == before


def test_parse_month():
    assert months.parse_month_or_raise(" 2026-10 ") == OCT
    for bad in ("2026-13", "10.2026", "", None, "2026-1-1"):
        with pytest.raises(ValidationFailed) as exc:
            months.parse_month_or_raise(bad)
        assert exc.value.fields == {"month": ["Месяц в формате ГГГГ-ММ."]}
