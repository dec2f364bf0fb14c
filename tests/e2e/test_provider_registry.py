"""Browser journey: a provider applies through the public form, the operator includes it,
and its public page opens."""

import re

import pytest
from playwright.sync_api import expect

from pfdo.demo.accounts import DEMO_PASSWORD
from pfdo.providers.models import Provider

pytestmark = pytest.mark.e2e

CARD = {
    "#id_full_name": "Автономная некоммерческая организация «Клуб программистов «Арктический бит»",
    "#id_short_name": "АНО «Арктический бит»",
    "#id_inn": "1103077880",  # one digit off: the form must say so
    "#id_kpp": "110301001",
    "#id_ogrn": "1121103007882",
    "#id_licence_number": "Л035-01253-11/00512377",
    "#id_legal_address": "169908, Республика Коми, г. Воркута, ул. Димитрова, д. 8",
    "#id_actual_address": "169908, Республика Коми, г. Воркута, ул. Димитрова, д. 8",
    "#id_phone": "+7 912 950-11-22",
    "#id_email": "hello@arctic-bit.example.ru",
    "#id_staff_last_name": "Морозов",
    "#id_staff_first_name": "Дмитрий",
    "#id_staff_email": "morozov@arctic-bit.example.ru",
    "#id_staff_login": "arctic-admin",
    "#id_staff_password": "Polar-Code-2026",
    "#id_staff_password2": "Polar-Code-2026",
}


def test_provider_applies_operator_includes_public_page_opens(page, live_server, demo):
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    before = Provider.objects.count()  # the demo's own providers
    page.goto(live_server.url + "/providers/apply/")
    expect(page.locator("h1")).to_have_text("Заявка на включение в реестр поставщиков")
    expect(page.locator("#id_municipality")).to_have_value(str(demo_municipality_pk()))
    page.select_option("#id_legal_form", "ngo")
    for selector, value in CARD.items():
        page.fill(selector, value)
    page.check("#id_confirm")
    page.get_by_role("button", name="Подать заявку").click()

    # A wrong check digit is named on the ИНН field; nothing was saved.
    expect(page.locator("#id_inn ~ .errorlist")).to_contain_text("Контрольные цифры ИНН")
    assert Provider.objects.count() == before
    page.fill("#id_inn", "1103077889")
    page.fill("#id_staff_password", "Polar-Code-2026")
    page.fill("#id_staff_password2", "Polar-Code-2026")
    page.get_by_role("button", name="Подать заявку").click()
    expect(page.locator("h1")).to_have_text("Заявка подана")
    expect(page.locator("main")).to_contain_text("arctic-admin")

    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name="Войти").click()
    page.goto(live_server.url + "/cabinet/providers/?status=under_review")
    page.get_by_role("link", name="АНО «Арктический бит»").click()
    expect(page.get_by_test_id("provider-status")).to_have_text("на рассмотрении")
    page.locator("#reason-include").fill("Документы проверены")
    page.get_by_role("button", name="Включить в реестр").click()
    expect(page.get_by_test_id("provider-status")).to_have_text("в реестре")

    page.get_by_role("link", name="публичная страница").click()
    expect(page).to_have_url(re.compile(r"/providers/\d+/$"))
    expect(page.locator("h1")).to_have_text("АНО «Арктический бит»")
    expect(page.locator("main")).to_contain_text("1103077889")
    expect(page.locator("main")).not_to_contain_text("Расчётный счёт")


def demo_municipality_pk() -> int:
    from pfdo.territory.models import Municipality

    return Municipality.objects.get(code="vorkuta").pk
