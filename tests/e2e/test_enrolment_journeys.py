"""Enrolment in the browser: a parent applies from the catalogue and accepts the contract the
provider offers; a provider enrols a child who came in person and confirms with the parent's
code; a parent terminates a contract and sees the money back on the certificate."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from pfdo.accounts.models import User
from pfdo.catalog.models import Group
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificate_services
from pfdo.certificates.tests.factories import issue_certificate
from pfdo.common import clock
from pfdo.common.money import format_kopecks
from pfdo.demo.accounts import DEMO_PASSWORD
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract
from pfdo.territory.models import Municipality
from tests.e2e.test_login_journeys import log_in, nav

pytestmark = pytest.mark.e2e

PASSWORD = "Usa-Vorkuta-2026"
PROGRAM = "Художественная гимнастика"  # «Полярный код», the demo login `provider`'s centre


def new_family(last_name: str, first_name: str, birth: dt.date, parent_name: str):
    """A parent with a login and one child with a fresh financing certificate."""
    vorkuta = Municipality.objects.get(code="vorkuta")
    parent = certificate_services.register_parent(
        actor=None, municipality=vorkuta, last_name=last_name, first_name=parent_name
    )
    issued = issue_certificate(
        operator=User.objects.get(username="operator"),
        municipality=vorkuta,
        parent=parent,
        last_name=last_name,
        first_name=first_name,
        birth_date=birth,
        sex="f" if first_name.endswith("а") else "m",
    )
    parent.refresh_from_db()
    parent.set_password(PASSWORD)
    parent.must_change_password = False
    parent.save()
    return parent, issued.certificate


def gymnastics_group(number: int) -> Group:
    return Group.objects.get(module__program__name=PROGRAM, name=f"Группа {number}")


def log_out(page: Page) -> None:
    with page.expect_navigation():
        nav(page).get_by_role("button", name="Выйти").click()


def balance_of(page: Page, base_url: str, certificate) -> None:
    """Open the certificate's page from the family's cabinet."""
    page.goto(base_url + "/cabinet/parent/children/")
    page.get_by_role("link", name=re.compile(re.escape(certificate.number_display))).first.click()
    expect(page.locator("h1")).to_contain_text(certificate.number_display)


def test_parent_applies_from_the_catalogue_provider_confirms_parent_accepts(
    page: Page, live_server, demo
):
    parent, certificate = new_family("Канева", "Злата", dt.date(2017, 3, 15), "Ольга")
    group = gymnastics_group(2)
    terms = services.compute_terms(certificate=certificate, group=group)
    assert terms.copay_kopecks > 0  # the price is above the normative cost

    # 1. The parent finds the programme in the catalogue and opens the group's enrolment.
    log_in(page, live_server.url, parent.username, PASSWORD)
    page.goto(live_server.url + "/catalog/")
    with page.expect_response(re.compile(r"/catalog/\?.*q=")):
        page.get_by_label("Поиск по названию и описанию").fill("гимнастика")
        page.get_by_label("Поиск по названию и описанию").press("Enter")
    page.locator("#results").get_by_role("link", name=PROGRAM).first.click()
    expect(page.locator("h1")).to_have_text(PROGRAM)
    card = page.locator("section.group-card").filter(has_text="Группа 2")
    card.get_by_role("button", name="Записаться").click()

    # 2. The terms come first: what the certificate pays, the co-payment, what remains.
    expect(page.locator("h1")).to_have_text("Запись в группу «Группа 2»")
    expect(page.get_by_test_id("terms-certificate")).to_have_text(
        format_kopecks(terms.certificate_kopecks)
    )
    expect(page.get_by_test_id("terms-copay")).to_have_text(format_kopecks(terms.copay_kopecks))
    expect(page.get_by_test_id("terms-remaining")).to_have_text(
        format_kopecks(terms.remaining_kopecks)
    )
    page.get_by_label("Согласен(на) на доплату семьи, указанную выше").check()
    page.get_by_role("button", name="Подать заявку").click()
    expect(page).to_have_url(re.compile(r"/cabinet/parent/enrolment/\d+/$"))
    expect(page.get_by_test_id("status")).to_have_text("новая, ждёт решения поставщика")
    application = Application.objects.get(certificate=certificate, group=group)
    assert application.status == Application.Status.NEW and application.copay_agreed
    log_out(page)

    # 3. The provider's staff confirm it from the list of incoming applications.
    log_in(page, live_server.url, "provider", DEMO_PASSWORD)
    page.goto(live_server.url + "/cabinet/provider/applications/")
    incoming = page.get_by_test_id(f"application-{application.pk}")
    expect(incoming).to_contain_text("Канева Злата")
    incoming.get_by_role("button", name="Подтвердить — предложить договор").click()
    expect(page.locator("main")).to_contain_text("родителю предложен договор №")
    contract = Contract.objects.get(application=application)
    assert contract.status == Contract.Status.OFFERED
    log_out(page)

    # 4. The parent accepts the offer: the certificate part is reserved.
    log_in(page, live_server.url, parent.username, PASSWORD)
    page.goto(live_server.url + "/cabinet/parent/enrolment/")
    page.get_by_role("link", name=f"Договор № {contract.number}").click()
    expect(page.get_by_test_id("offer")).to_be_visible()
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("status")).to_have_text("действует")
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE

    # 5. The balance shows the reservation and what is left.
    money = certificate_selectors.balance(certificate)
    assert money.reserved_kopecks == contract.certificate_kopecks > 0
    balance_of(page, live_server.url, certificate)
    balance = page.get_by_test_id("balance")
    expect(balance).to_contain_text(
        f"В резерве по договорам{format_kopecks(contract.certificate_kopecks)}"
    )
    expect(balance).to_contain_text(f"Доступно{format_kopecks(money.available_kopecks)}")


def test_provider_enrols_in_person_and_confirms_with_the_parents_code(
    page: Page, browser, live_server, demo
):
    parent, certificate = new_family("Истомин", "Тимур", dt.date(2016, 8, 1), "Светлана")

    # 1. At the provider's desk: the certificate number and the child's surname (the number
    # alone finds nothing), the group, the terms, then enrol.
    log_in(page, live_server.url, "provider", DEMO_PASSWORD)
    page.goto(live_server.url + "/cabinet/provider/")
    page.goto(live_server.url + "/cabinet/provider/enrol/")
    page.get_by_label("Номер сертификата").fill(certificate.number)
    page.get_by_label("Фамилия ребёнка").fill("истомин ")
    page.get_by_label("Группа").select_option(label=f"{PROGRAM} — Группа 2")
    page.get_by_role("button", name="Показать условия").click()
    result = page.get_by_test_id("lookup-result")
    expect(result.get_by_test_id("child-name")).to_contain_text("Тимур")
    page.get_by_role("button", name="Записать ребёнка").click()
    expect(page).to_have_url(re.compile(r"/cabinet/provider/applications/\d+/$"))
    expect(page.get_by_test_id("status")).to_have_text("ждёт подтверждения родителя")
    application = Application.objects.get(certificate=certificate)
    assert application.channel == Application.Channel.IN_PERSON

    # 2. On the parent's phone: the notification with the code.
    phone = browser.new_context()
    try:
        parents_page = phone.new_page()
        log_in(parents_page, live_server.url, parent.username, PASSWORD)
        parents_page.goto(live_server.url + "/cabinet/notifications/")
        note = parents_page.get_by_test_id("notification").filter(
            has_text="Подтвердите запись ребёнка"
        )
        expect(note).to_contain_text("Полярный код")
        code = re.search(r"код (\d{6})", note.inner_text()).group(1)

        # 3. The parent names the code; staff enter it and the contract is concluded.
        page.get_by_label("Код из уведомления родителя").fill(code)
        page.get_by_role("button", name="Ввести код из уведомления родителя").click()
        expect(page).to_have_url(re.compile(r"/cabinet/provider/contracts/\d+/$"))
        expect(page.locator("main")).to_contain_text("средства сертификата зарезервированы")
        contract = Contract.objects.get(application=application)
        assert contract.status == Contract.Status.ACTIVE
        money = certificate_selectors.balance(certificate)
        assert money.reserved_kopecks == contract.certificate_kopecks > 0

        # The parent sees the contract in force in the cabinet.
        parents_page.goto(live_server.url + "/cabinet/parent/enrolment/")
        item = parents_page.get_by_test_id("contract").filter(has_text=contract.number)
        expect(item).to_contain_text("действует")
    finally:
        phone.close()


def test_parent_terminates_and_sees_the_money_back(page: Page, live_server, demo):
    # The demo parent's Анна has attended art school since September.
    contract = Contract.objects.get(
        parent__username="parent", status=Contract.Status.ACTIVE, funding="certificate"
    )
    certificate = contract.certificate
    before = certificate_selectors.balance(certificate)
    this_month = clock.today().replace(day=1)
    coming_back = sum(m.certificate_kopecks for m in contract.months.all() if m.month > this_month)
    assert coming_back > 0

    log_in(page, live_server.url, "parent", DEMO_PASSWORD)
    page.goto(live_server.url + "/cabinet/parent/enrolment/")
    page.get_by_role("link", name=f"Договор № {contract.number}").click()
    expect(page.get_by_test_id("status")).to_have_text("действует")
    terminate = page.get_by_test_id("terminate")
    terminate.get_by_label("Причина").fill("Ребёнок хочет заниматься танцами")
    terminate.get_by_label("Да, расторгнуть договор").check()
    terminate.get_by_role("button", name="Расторгнуть договор").click()

    expect(page.get_by_test_id("status")).to_have_text("расторгнут")
    expect(page.get_by_test_id("released")).to_have_text(format_kopecks(coming_back))
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert contract.terminated_by == Contract.TerminatedBy.PARENT

    # The money of the months not begun is available again; this month stays for billing.
    after = certificate_selectors.balance(certificate)
    assert after.available_kopecks == before.available_kopecks + coming_back
    assert after.reserved_kopecks == before.reserved_kopecks - coming_back
    balance_of(page, live_server.url, certificate)
    balance = page.get_by_test_id("balance")
    expect(balance).to_contain_text(
        f"В резерве по договорам{format_kopecks(after.reserved_kopecks)}"
    )
    expect(balance).to_contain_text(f"Доступно{format_kopecks(after.available_kopecks)}")
