"""The front door (issue 14): a family finds «Получить сертификат» on the home page, applies,
and looks up the application's status with the number from the letter and the e-mail; then
checks where a child is enrolled."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from pfdo.certificates.models import CertificateApplication
from pfdo.certificates.tests.factories import valid_snils

pytestmark = pytest.mark.e2e

EMAIL = "svetlana.lebedeva@example.org"


def test_a_family_finds_the_front_door_applies_and_follows_the_status(
    page: Page, live_server, demo
):
    # 1. The home page leads to the application.
    page.goto(live_server.url + "/")
    # A link drawn as a button (role="button"), as the other calls to action beside it.
    page.locator("main").get_by_role("button", name="Получить сертификат").click()
    expect(page).to_have_url(re.compile(r"/certificates/apply/$"))

    # 2. The one application, without an account.
    form = page.locator("main form")
    form.get_by_label("Муниципалитет").select_option(label="Воркута")
    form.locator('input[name="parent_last_name"]').fill("Лебедева")
    form.locator('input[name="parent_first_name"]').fill("Светлана")
    form.locator('input[name="email"]').fill(EMAIL)
    form.locator('input[name="relation"][value="mother"]').check()
    form.locator('input[name="last_name"]').fill("Лебедев")
    form.locator('input[name="first_name"]').fill("Илья")
    form.locator('input[name="birth_date"]').fill("2016-02-11")
    form.locator('input[name="sex"][value="m"]').check()
    form.locator('[name="document_type"]').first.evaluate(
        "el => { if (el.tagName === 'SELECT') el.value = 'birth_certificate'; else el.checked = true; }"
    )
    form.locator('input[name="document_number"]').fill("II-ЕА 246810")
    form.locator('input[name="snils"]').fill(valid_snils())
    form.locator('input[name="consent"]').check()
    form.get_by_role("button", name="Подать заявление").click()
    expect(page.locator("main")).to_contain_text("Заявление подано")
    application = CertificateApplication.objects.get(child__first_name="Илья")

    # 3. The letter carries the number; the done page leads to the status.
    letters = [m for m in mail.outbox if EMAIL in m.to and "Заявление №" in m.subject]
    number = re.search(r"№(\d+)", letters[0].subject).group(1) if letters else str(application.pk)
    assert number == str(application.pk)
    page.get_by_test_id("status-link").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/certificates/apply/status/$"))
    status_form = page.get_by_test_id("application-status-form")
    status_form.get_by_label("Номер заявления").fill(number)
    status_form.get_by_label("Электронная почта").fill(EMAIL.upper())
    status_form.get_by_role("button", name="Узнать статус").click()
    expect(page.get_by_test_id("status-display")).to_have_text("подано")
    expect(page.get_by_test_id("application-status")).to_contain_text("ждёт проверки")
    expect(page.locator("main")).not_to_contain_text("Илья")

    # A wrong e-mail says only that nothing was found.
    status_form = page.get_by_test_id("application-status-form")
    status_form.get_by_label("Номер заявления").fill(number)
    status_form.get_by_label("Электронная почта").fill("someone@example.org")
    status_form.get_by_role("button", name="Узнать статус").click()
    expect(page.get_by_test_id("status-miss")).to_contain_text("Заявление не найдено")
    expect(page.get_by_test_id("application-status")).to_have_count(0)


def test_a_parent_checks_where_the_child_is_enrolled(page: Page, live_server, demo):
    page.goto(live_server.url + "/")
    page.get_by_test_id("enrolment-check-link").click()
    form = page.get_by_test_id("enrolment-check-form")
    form.get_by_label("Фамилия ребёнка").fill("иванова")
    form.get_by_label("Имя ребёнка").fill("Анна")
    form.get_by_label("Последние 4 цифры номера документа").fill("010")
    form.get_by_role("button", name="Проверить").click()
    expect(page.locator("#id_document_suffix_error")).to_contain_text("ровно четыре цифры")
    form = page.get_by_test_id("enrolment-check-form")
    form.get_by_label("Последние 4 цифры номера документа").fill("0101")
    form.get_by_role("button", name="Проверить").click()
    result = page.get_by_test_id("enrolment-check-result")
    expect(result).to_contain_text("Школа юного художника")
    expect(result).to_contain_text("действует")
    expect(result).not_to_contain_text("11 02 000003")  # no certificate number
