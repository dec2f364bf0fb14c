"""The programme page tells a parent what each child's certificate covers, before enrolment."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pfdo.catalog.models import Program
from pfdo.catalog.tests.factories import (
    GroupFactory,
    ModuleFactory,
    ProgramFactory,
    ScheduleEntryFactory,
)
from pfdo.catalog.tests.test_filters import make_provider
from pfdo.certificates import services
from pfdo.certificates.tests.factories import approved_period, issue_certificate
from pfdo.common import clock
from pfdo.ledger import services as ledger
from pfdo.ledger.models import Account, Transfer

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 28)
NBSP = "\u00a0"


def rub(text: str) -> str:
    return text.replace(" ", NBSP) + NBSP + "₽"


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)  # nominal 24 171,00 ₽


@pytest.fixture
def parent(make_user, vorkuta):
    return make_user("parent", municipality=vorkuta)


@pytest.fixture
def provider(vorkuta):
    return make_provider(vorkuta, short_name="ДДТ «Радуга»")


def programme(provider, modules=((2_500_000, 2_000_000),), groups=1, **fields) -> Program:
    """A published programme for 7–14 years with modules [(price, normative)]."""
    program = ProgramFactory(provider=provider, name="Робототехника", **fields)
    for position, (price, normative) in enumerate(modules, start=1):
        module = ModuleFactory(
            program=program,
            name=f"Модуль {position}",
            position=position,
            price_kopecks=price,
            normative_cost_kopecks=normative,
        )
        for _ in range(groups):
            ScheduleEntryFactory(group=GroupFactory(module=module))
    return program


def page(client, program) -> str:
    response = client.get(reverse("catalog:program_detail", args=[program.pk]))
    assert response.status_code == 200
    return response.content.decode()


def coverage_blocks(html: str) -> list[str]:
    """The 'what the certificate covers' block of each module, in page order."""
    return re.findall(r'data-testid="family-coverage".*?</section>', html, re.S)


def cell(block: str, name: str) -> list[str]:
    return re.findall(rf'data-testid="cover-{name}">(?:<strong>)?([^<]*)', block)


def test_parent_sees_certificate_part_copayment_and_what_remains_per_module(
    client, vorkuta, period, operator, parent, provider
):
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    program = programme(provider, modules=[(2_500_000, 2_000_000), (4_500_000, 4_050_000)])
    client.force_login(parent)
    html = page(client, program)
    first, second = coverage_blocks(html)
    # Groups run September–May (9 months); enrolled on 28.11 a contract runs November–May,
    # 7 months: price and normative cost are 7/9 of the module's (rounded down).
    # Price 19 444,44, normative 15 555,55, available 24 171: the certificate pays the normative.
    assert cell(first, "price") == [rub("19 444,44")]
    assert cell(first, "certificate") == [rub("15 555,55")]
    assert cell(first, "copay") == [rub("3 888,89")]
    assert cell(first, "remaining") == [rub("8 615,45")]
    # Price 35 000, normative 31 500, available 24 171: the balance is the limit.
    assert cell(second, "price") == [rub("35 000,00")]
    assert cell(second, "certificate") == [rub("24 171,00")]
    assert cell(second, "copay") == [rub("10 829,00")]
    assert cell(second, "remaining") == [rub("0,00")]
    assert "с 28.11.2026 по 31.05.2027 — 7 мес." in first
    assert "Мария Иванова" in first and certificate.number_display in first
    assert "Возраст не подходит" not in html


def test_programme_page_shows_the_figures_of_the_terms_page(
    client, vorkuta, period, operator, parent, provider
):
    # The programme page showed the module's full price while the terms page (what the
    # contract will say) counted only the months left: both now come from compute_terms.
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    program = programme(provider, modules=[(4_055_000, 3_000_000)])
    group = program.modules.get().groups.get()
    client.force_login(parent)
    (block,) = coverage_blocks(page(client, program))
    terms_page = client.get(
        reverse("enrolment:apply", args=[group.pk]), {"certificate": certificate.pk}
    ).content.decode()
    for name in ("price", "certificate", "copay", "remaining"):
        (shown,) = cell(block, name)
        (on_terms,) = re.findall(rf'data-testid="terms-{name}">(?:<strong>)?([^<]*)', terms_page)
        assert shown == on_terms, name
    assert cell(block, "price") == [rub("31 538,88")]  # 40 550 × 7/9, not 40 550


def test_coverage_uses_the_available_balance_after_reservations(
    client, vorkuta, period, operator, parent, provider
):
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    provider_account = ledger.get_account(
        kind=Account.Kind.PROVIDER, municipality=vorkuta, period=period, holder_id=provider.pk
    )
    ledger.transfer(
        key="test-reserve",
        kind=Transfer.Kind.RESERVE,
        debit=services.certificate_account(certificate, period),
        credit=provider_account,
        amount_kopecks=1_000_000,
        pending=True,
    )
    program = programme(provider, modules=[(2_500_000, 2_000_000)])
    client.force_login(parent)
    (block,) = coverage_blocks(page(client, program))
    # Available 24 171 − 10 000 = 14 171 < normative 15 555,55 < price 19 444,44 (7 of 9
    # months).
    assert cell(block, "certificate") == [rub("14 171,00")]
    assert cell(block, "copay") == [rub("5 273,44")]
    assert cell(block, "remaining") == [rub("0,00")]


def test_each_child_gets_a_row_and_a_child_outside_the_age_range_is_marked(
    client, vorkuta, period, operator, parent, provider
):
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    issue_certificate(
        operator=operator,
        municipality=vorkuta,
        parent=parent,
        first_name="Пётр",
        sex="m",
        birth_date=dt.date(2021, 3, 1),  # 5 years old; the programme is for 7–14
    )
    program = programme(provider)
    client.force_login(parent)
    (block,) = coverage_blocks(page(client, program))
    rows = block.split('class="cover-child"')[1:]
    assert len(rows) == 2
    young = next(r for r in rows if "Пётр" in r)
    older = next(r for r in rows if "Мария" in r)
    assert "Возраст не подходит" in young and "5 лет" in young
    assert "Возраст не подходит" not in older
    assert cell(older, "certificate") == [rub("15 555,55")]


def test_accounting_certificate_needs_a_switch_for_a_certified_programme(
    client, vorkuta, period, operator, parent, provider
):
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, wants_financing=False
    ).certificate
    program = programme(provider)
    client.force_login(parent)
    (block,) = coverage_blocks(page(client, program))
    assert "только <strong>сертификат финансирования</strong>" in block
    assert reverse("family:certificate", args=[certificate.pk]) + "#switch" in block
    assert "cover-certificate" not in block


def test_budget_registry_programme_is_free_for_an_accounting_certificate(
    client, vorkuta, period, operator, parent, provider
):
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent, wants_financing=False)
    program = programme(
        provider,
        certification_status=Program.Certification.DRAFT,
        budget_registry=Program.BudgetRegistry.SIGNIFICANT,
    )
    client.force_login(parent)
    (block,) = coverage_blocks(page(client, program))
    assert "Бесплатно для ребёнка" in block and "реестр значимых программ" in block


def test_suspended_certificate_cannot_enrol(client, vorkuta, period, operator, parent, provider):
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    services.suspend_certificate(actor=operator, certificate=certificate, reason="Проверка")
    program = programme(provider)
    client.force_login(parent)
    (block,) = coverage_blocks(page(client, program))
    assert "Сертификат приостановлен: записаться по нему нельзя" in block
    assert "cover-certificate" not in block


def test_parent_without_certificate_is_told_so(client, parent, provider, period):
    program = programme(provider)
    client.force_login(parent)
    html = page(client, program)
    assert "нет действующего сертификата" in html
    assert not coverage_blocks(html)


@pytest.mark.parametrize("who", ["anonymous", "operator"])
def test_others_see_the_page_as_before(client, vorkuta, period, operator, parent, provider, who):
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    program = programme(provider)
    if who == "operator":
        client.force_login(operator)
    html = page(client, program)
    assert "Что покроет сертификат" not in html
    assert "family-coverage" not in html and "cover-child" not in html
    assert "Мария" not in html
    assert rub("20 000,00") in html  # the general "certificate pays" line is still there


def test_query_count_does_not_grow_with_modules_or_groups(
    client, vorkuta, period, operator, parent, provider
):
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    program = programme(provider)
    client.force_login(parent)
    url = reverse("catalog:program_detail", args=[program.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(5):
        module = ModuleFactory(program=program, name=f"Ещё {n}", position=n + 2)
        for _ in range(3):
            ScheduleEntryFactory(group=GroupFactory(module=module))
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert len(coverage_blocks(html)) == 6
    assert html.count('data-testid="cover-group"') == 16
    assert len(many.captured_queries) == len(few.captured_queries)
    # A second child costs its own balance and earmark (the terms of each group are computed
    # as the contract's are, periods and balances read once per certificate), not per group.
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent, first_name="Олег")
    with CaptureQueriesContext(connection) as two:
        html = client.get(url).content.decode()
    assert html.count('data-testid="cover-group"') == 32
    per_child = len(two.captured_queries) - len(many.captured_queries)
    assert 0 < per_child <= 5  # its balance (3) and its continuation earmark (2)
    # 17 before the terms (the navigation counts unread notifications too), the period of
    # the groups, and each certificate's money.
    assert len(two.captured_queries) <= 31
