"""An anonymous parent filters the Vorkuta catalogue by age and direction, opens a programme
and sees its groups and schedule."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from pfdo.catalog.tests.factories import (
    GroupFactory,
    ModuleFactory,
    ProgramFactory,
    ScheduleEntryFactory,
)
from pfdo.demo.identifiers import inn10
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.territory.models import Municipality

pytestmark = pytest.mark.e2e


def _programme(provider, name, *, direction, ages, lessons, teacher="Иванова Мария Сергеевна"):
    program = ProgramFactory(
        provider=provider,
        name=name,
        direction=direction,
        age_from_months=ages[0] * 12,
        age_to_months=ages[1] * 12,
        description=f"{name}: занятия для детей.",
    )
    module = ModuleFactory(
        program=program,
        name="Первый год",
        price_kopecks=2_600_000,
        normative_cost_kopecks=2_000_000,
    )
    group = GroupFactory(
        module=module,
        name="Группа 1",
        teacher_name=teacher,
        address="г. Воркута, ул. Гагарина, д. 5",
        room="12",
        capacity=12,
        seats_taken=2,
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2027, 5, 31),
    )
    for weekday, start, end in lessons:
        ScheduleEntryFactory(group=group, weekday=weekday, starts_at=start, ends_at=end)
    return program


@pytest.fixture
def catalogue(komi):
    vorkuta = Municipality.objects.get(code="vorkuta")
    studio = ProviderFactory(municipality=vorkuta, short_name="Студия танца «Ритм»", inn=inn10(901))
    house = ProviderFactory(municipality=vorkuta, short_name="ДДТ Воркуты", inn=inn10(902))
    dance = _programme(
        studio,
        "Современный танец",
        direction="arts",
        ages=(7, 12),
        lessons=[(2, dt.time(17, 0), dt.time(18, 30)), (5, dt.time(17, 0), dt.time(18, 30))],
        teacher="Лебедева Анна Владимировна",
    )
    _programme(
        house,
        "Театральная студия для старших",
        direction="arts",
        ages=(13, 17),
        lessons=[(3, dt.time(18, 0), dt.time(19, 0))],
    )
    _programme(
        house,
        "Робототехника",
        direction="technical",
        ages=(8, 14),
        lessons=[(1, dt.time(16, 0), dt.time(17, 0))],
    )
    return dance


def test_parent_filters_by_age_and_direction_and_sees_the_schedule(page, live_server, catalogue):
    page.goto(live_server.url + "/catalog/")
    results = page.locator("#results")
    expect(results).to_contain_text("Найдено программ: 3")

    page.get_by_text("Фильтры", exact=True).click()
    with page.expect_response(re.compile(r"/catalog/\?.*age=9")):
        page.get_by_label("Возраст ребёнка, лет").fill("9")
        page.get_by_label("Возраст ребёнка, лет").press("Enter")
    expect(results).to_contain_text("Найдено программ: 2")
    page.get_by_label("Направленность").select_option("arts")
    expect(results).to_contain_text("Найдено программ: 1")
    expect(results).to_contain_text("Современный танец")
    expect(results).not_to_contain_text("Робототехника")
    expect(results).not_to_contain_text("Театральная студия")
    expect(results).to_contain_text("доплата от 6\u00a0000,00\u00a0₽")
    # htmx pushed a shareable address with the filters (empty ones left out).
    assert re.search(r"age=9", page.url) and re.search(r"direction=arts", page.url)
    assert "q=" not in page.url

    # The address alone (as if shared) gives the same list without htmx.
    page.goto(page.url)
    expect(page.locator("#results")).to_contain_text("Найдено программ: 1")

    page.get_by_role("link", name="Современный танец").click()
    expect(page.locator("h1")).to_have_text("Современный танец")
    body = page.locator("main")
    expect(body).to_contain_text("Студия танца «Ритм»")
    expect(body).to_contain_text("Первый год")
    expect(body).to_contain_text("Группа 1")
    expect(body).to_contain_text("Лебедева Анна Владимировна")
    expect(body).to_contain_text("ул. Гагарина, д. 5, каб. 12")
    expect(body).to_contain_text("Вторник, 17:00–18:30")
    expect(body).to_contain_text("Пятница, 17:00–18:30")
    expect(body).to_contain_text("свободных мест: 10 из 12")
    expect(body).to_contain_text("Оценок пока нет")


def test_catalogue_is_usable_on_a_phone(page, live_server, catalogue):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + "/catalog/?municipality=vorkuta&direction=arts")
    expect(page.locator("#results")).to_contain_text("Найдено программ: 2")
    # Nothing wider than the screen: no sideways scrolling of the page.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    page.get_by_role("link", name="Современный танец").click()
    expect(page.locator("h1")).to_have_text("Современный танец")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
