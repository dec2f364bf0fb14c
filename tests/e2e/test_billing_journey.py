"""Billing in the browser: provider staff mark attendance and submit October's invoice, the
payer accepts it and records the payment, the parent sees the month's charge on the
certificate."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from pfdo.billing.models import Attendance, Invoice, Payment
from pfdo.billing.tests.factories import ready_group, signed_contract
from pfdo.common import clock
from pfdo.common.money import format_kopecks
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.providers.tests.factories import add_staff
from tests.e2e.test_login_journeys import log_in, nav

pytestmark = pytest.mark.e2e

PASSWORD = "Billing-Vorkuta-2026"
MONTH_KOPECKS = 200_000  # 1 800 000 over the nine months Sep–May


def _with_password(user):
    user.set_password(PASSWORD)
    user.must_change_password = False
    user.save()
    return user


def log_out(page: Page) -> None:
    with page.expect_navigation():
        nav(page).get_by_role("button", name="Выйти").click()


def test_attendance_invoice_payment_and_the_parents_charge(page: Page, live_server, komi):
    from pfdo.accounts.tests.factories import UserFactory, grant

    _region, vorkuta = komi
    period = FinancingPeriodFactory(
        municipality=vorkuta, certificate_quota=10, budget_kopecks=100_000_000
    )
    NominalCategoryFactory(period=period, nominal_kopecks=2_417_100)
    group = ready_group(vorkuta, price=1_800_000, normative=2_000_000, weekday=3)  # Wednesdays
    operator = UserFactory()
    grant(operator, "operator", municipality=vorkuta)
    family, contract = signed_contract(vorkuta, operator, group)
    parent = _with_password(family.parent)
    staff = _with_password(add_staff(group.module.program.provider).user)
    payer = UserFactory()
    grant(payer, "payer", municipality=vorkuta)
    _with_password(payer)

    # The whole journey happens on 2 November 2026: October has ended.
    with clock.frozen(dt.date(2026, 11, 2)):
        # 1. Staff open October's journal and mark the child present on 7 October.
        log_in(page, live_server.url, staff.username, PASSWORD)
        page.goto(live_server.url + "/cabinet/provider/billing/journal/")
        row = page.get_by_role("row").filter(has_text=group.name)
        row.get_by_role("link", name="Журнал за текущий месяц").click()
        expect(page.get_by_test_id("month")).to_contain_text("Ноябрь 2026")
        page.goto(page.url.split("?")[0] + "?month=2026-10")
        expect(page.get_by_test_id("month")).to_contain_text("Октябрь 2026")
        box = page.get_by_label(re.compile(r"07\.10\.2026: присутствовал"))
        box.check()
        # Each lesson's column has its own «Сохранить» under the grid.
        with page.expect_response(lambda r: r.request.method == "POST"):
            page.locator(f'button[form="{box.get_attribute("form")}"]').click()
        expect(page.get_by_label(re.compile(r"07\.10\.2026: присутствовал"))).to_be_checked()
        assert Attendance.objects.filter(contract=contract, present=True).count() == 1

        # 2. They build October's invoice from the billing home and submit it.
        page.goto(live_server.url + "/cabinet/provider/billing/")
        page.get_by_role("button", name="Сформировать счёт за октябрь 2026").click()
        expect(page.get_by_test_id("billed")).to_have_text(format_kopecks(MONTH_KOPECKS))
        expect(page.get_by_test_id("lines")).to_contain_text(contract.number)
        page.get_by_role("button", name="Подать плательщику").click()
        expect(page.get_by_test_id("status")).to_have_text("подан плательщику")
        invoice = Invoice.objects.get(provider=contract.provider, month=dt.date(2026, 10, 1))
        log_out(page)

        # 3. The payer accepts it and records the payment order.
        log_in(page, live_server.url, payer.username, PASSWORD)
        page.goto(live_server.url + f"/cabinet/billing/invoices/{invoice.pk}/")
        page.get_by_test_id("accept").click()
        expect(page.get_by_test_id("status")).to_have_text("принят")
        page.get_by_label("Номер платёжного поручения").fill("4711")
        page.get_by_label("Дата платежа").fill("2026-11-02")
        page.get_by_label("Сумма, руб.").fill("2 000,00")
        page.get_by_test_id("pay").click()
        expect(page.get_by_test_id("paid")).to_have_text(format_kopecks(MONTH_KOPECKS))
        expect(page.get_by_test_id("outstanding")).to_have_text(format_kopecks(0))
        payment = Payment.objects.get(invoice=invoice)
        assert payment.amount_kopecks == MONTH_KOPECKS and payment.order_number == "4711"
        log_out(page)

        # 4. The parent sees October's charge among the certificate's movements.
        log_in(page, live_server.url, parent.username, PASSWORD)
        page.goto(live_server.url + "/cabinet/parent/children/")
        number = family.certificate.number_display
        page.get_by_role("link", name=re.compile(re.escape(number))).first.click()
        expect(page.locator("main")).to_contain_text(
            f"Оплата за октябрь 2026 по договору № {contract.number}"
        )
        page.goto(live_server.url + f"/cabinet/parent/contracts/{contract.pk}/attendance/")
        expect(page.locator("main")).to_contain_text("07.10.2026")
        expect(page.locator("main")).to_contain_text(format_kopecks(MONTH_KOPECKS))
