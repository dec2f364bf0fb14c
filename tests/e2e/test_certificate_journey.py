"""A parent registers and applies online, the operator approves and prints the certificate,
the parent logs in with the issued password, changes it and sees the balance."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from pfdo.certificates.models import Certificate, CertificateApplication
from pfdo.certificates.services import nominal_amount
from pfdo.certificates.tests.factories import valid_snils
from pfdo.common import clock
from pfdo.common.money import format_kopecks
from pfdo.financing.selectors import current_period
from tests.e2e.test_login_journeys import log_in, nav

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Pechora-Taiga-2026"


def test_parent_applies_operator_approves_parent_sees_balance(page: Page, live_server, demo):
    snils = valid_snils()

    # 1. An anonymous parent fills in the one application.
    page.goto(live_server.url + "/certificates/apply/")
    form = page.locator("main form")
    form.get_by_label("Муниципалитет").select_option(label="Воркута")
    form.locator('input[name="parent_last_name"]').fill("Смирнова")
    form.locator('input[name="parent_first_name"]').fill("Ольга")
    form.locator('input[name="email"]').fill("olga.smirnova@example.org")
    form.locator('input[name="relation"][value="mother"]').check()
    form.locator('input[name="last_name"]').fill("Смирнова")
    form.locator('input[name="first_name"]').fill("Дарья")
    form.locator('input[name="birth_date"]').fill("2015-03-20")
    form.locator('input[name="sex"][value="f"]').check()
    form.locator('[name="document_type"]').first.evaluate(
        "el => { if (el.tagName === 'SELECT') el.value = 'birth_certificate'; else el.checked = true; }"
    )
    form.locator('input[name="document_number"]').fill("III-ЕА 654321")
    form.locator('input[name="snils"]').fill(snils)
    form.locator('input[name="consent"]').check()
    form.get_by_role("button", name="Подать заявление").click()
    expect(page.locator("main")).to_contain_text("подано")
    application = CertificateApplication.objects.get(
        child__last_name="Смирнова", child__first_name="Дарья"
    )
    assert application.status == CertificateApplication.Status.APPLIED

    # 2. The operator finds it in the queue and approves it.
    log_in(page, live_server.url, "operator", "vorkuta-demo-2026")
    page.goto(live_server.url + "/cabinet/certificate-applications/")
    page.get_by_role("link", name=re.compile("Смирнова Дарья")).first.click()
    page.get_by_role("button", name="Одобрить и выдать сертификат").click()
    expect(page).to_have_url(re.compile(r"/cabinet/certificates/\d+/print/"))
    login = page.get_by_test_id("login").first.inner_text().strip()
    password = page.get_by_test_id("issued-password").inner_text().strip()
    assert login and password
    # Shown once: a reload no longer has it.
    page.reload()
    expect(page.get_by_test_id("issued-password")).to_have_count(0)
    with page.expect_navigation():
        nav(page).get_by_role("button", name="Выйти").click()

    # 3. The parent logs in with the issued password and must change it first.
    log_in(page, live_server.url, login, password)
    expect(page).to_have_url(re.compile(r"/password/change/"))
    form = page.locator("main form")
    form.locator('input[name="old_password"]').fill(password)
    form.locator('input[name="new_password"]').fill(NEW_PASSWORD)
    form.locator('input[name="new_password2"]').fill(NEW_PASSWORD)
    form.get_by_role("button", name="Сменить пароль").click()

    # 4. The cabinet shows the child, the certificate and its balance.
    page.goto(live_server.url + "/cabinet/parent/children/")
    certificate = Certificate.objects.get(application=application)
    assert certificate.type == Certificate.Type.FINANCING
    period = current_period(certificate.municipality)
    expected, _ = nominal_amount(period, certificate.child, clock.today())
    main = page.locator("main")
    expect(main).to_contain_text("Дарья Смирнова")
    expect(main).to_contain_text(certificate.number_display)
    expect(main).to_contain_text(format_kopecks(expected))
    page.get_by_role("link", name=re.compile(certificate.number_display)).first.click()
    expect(page.locator("main")).to_contain_text("Сертификат финансирования")
    expect(page.locator("main")).to_contain_text(format_kopecks(expected))
