"""A provider creates a programme that stays unpublished until complete (the checklist says
what is missing), completes it — module, group, lesson; the operator places it in a registry —
and publishes it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "vorkuta-demo-2026"


@pytest.fixture
def provider_setup(demo):
    """The demo provider login works for a fresh Vorkuta provider."""
    from pfdo.accounts.models import User
    from pfdo.providers.models import ProviderStaff
    from pfdo.providers.tests.factories import ProviderFactory, make_inn10
    from pfdo.territory.models import Municipality

    vorkuta = Municipality.objects.get(code="vorkuta")
    provider = ProviderFactory(
        municipality=vorkuta, short_name="ДШИ «Полярная звезда»", inn=make_inn10(9990)
    )
    ProviderStaff.objects.create(
        provider=provider, user=User.objects.get(username="provider"), is_admin=True
    )
    return provider


def login(page, base, username):
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/cabinet/"))


def logout(page):
    # Wait until the logout has landed: navigating away while it is in flight could cancel
    # it and leave the previous user signed in for the next login.
    page.get_by_role("button", name="Выйти").click()
    expect(page.get_by_role("button", name="Выйти")).to_have_count(0)


def test_provider_publishes_a_programme_only_when_complete(page, live_server, provider_setup):
    base = live_server.url
    login(page, base, "provider")

    page.goto(base + "/cabinet/programs/")
    page.locator("main a", has_text="Добавить программу").click()
    provider_field = page.locator("#id_provider")
    if provider_field.get_attribute("type") != "hidden":
        provider_field.select_option(str(provider_setup.pk))
    page.fill("#id_name", "Школа юного художника")
    page.select_option("#id_direction", "arts")
    page.fill("#id_age_from_years", "7")
    page.fill("#id_age_to_years", "12")
    page.fill("#id_address", "г. Воркута, ул. Ленина, д. 40")
    page.get_by_role("button", name="Создать программу").click()

    checklist = page.locator("#checklist")
    expect(checklist).to_contain_text("Добавьте описание программы.")
    expect(checklist).to_contain_text("Добавьте хотя бы один модуль.")
    page.get_by_role("button", name="Опубликовать").click()
    expect(page.locator(".messages")).to_contain_text("Программу пока нельзя опубликовать")
    expect(page.locator("main")).to_contain_text("не опубликована")

    page.locator("main a", has_text="Изменить карточку").click()
    page.fill("#id_description", "Рисунок, живопись и композиция: северный пейзаж.")
    page.get_by_role("button", name="Сохранить").click()
    expect(checklist).not_to_contain_text("Добавьте описание программы.")

    page.locator("main a", has_text="Добавить модуль").click()
    page.fill("#id_name", "Рисунок и акварель")
    page.fill("#id_duration_months", "9")
    page.fill("#id_hours", "72")
    page.fill("#id_max_children", "12")
    page.fill("#id_price", "-1")
    page.get_by_role("button", name="Добавить модуль").click()
    expect(page.locator(".errorlist")).to_contain_text("Цена не может быть отрицательной.")
    page.fill("#id_price", "15 000,00")
    page.get_by_role("button", name="Добавить модуль").click()
    expect(page.locator("#modules")).to_contain_text("15\u00a0000,00\u00a0₽")

    page.locator("main a", has_text="+ Добавить группу").click()
    page.fill("#id_name", "Группа 1")
    page.fill("#id_room", "12")
    page.fill("#id_starts_on", "2026-09-01")
    page.fill("#id_ends_on", "2027-05-31")
    page.fill("#id_capacity", "12")
    page.get_by_role("button", name="Добавить группу").click()
    expect(checklist).to_contain_text(
        "Добавьте хотя бы одну группу с датами занятий и расписанием."
    )

    schedule = page.locator(".group-schedule").first
    schedule.locator("select[name=weekday]").select_option("2")
    schedule.locator("input[name=starts_at]").fill("16:00")
    schedule.locator("input[name=ends_at]").fill("17:30")
    schedule.get_by_role("button", name="Добавить занятие").click()  # htmx, no reload
    expect(page.locator(".group-schedule").first).to_contain_text("вторник, 16:00–17:30")
    page.reload()
    expect(checklist).not_to_contain_text("группу с датами")
    expect(checklist).to_contain_text("бюджетный реестр")
    program_url = page.url

    logout(page)
    login(page, base, "operator")
    page.goto(program_url)
    page.locator("main a", has_text="Реестры").click()
    page.select_option("#id_budget_registry", "significant")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator(".messages")).to_contain_text("Реестры программы сохранены.")
    logout(page)

    login(page, base, "provider")
    page.goto(program_url)
    expect(page.locator("#checklist")).to_contain_text("можно опубликовать")
    page.get_by_role("button", name="Опубликовать").click()
    expect(page.locator(".messages")).to_contain_text("Программа опубликована.")
    page.get_by_role("button", name="Открыть запись").click()
    expect(page.locator(".messages")).to_contain_text("Запись на программу открыта.")

    from pfdo.catalog.models import Program

    program = Program.objects.get(name="Школа юного художника", provider=provider_setup)
    assert program.is_published and program.enrolment_open
    assert program.budget_registry == "significant"
