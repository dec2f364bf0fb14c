"""Keyboard only (issue 17): finding a programme and applying for a club without a mouse, by
Tab, Shift+Tab, Enter, Space, arrow keys and typing — never a click or a filled locator. After
every key the focus is somewhere (never lost to <body>) and visibly indicated."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from pfdo.enrolment.models import Application
from tests.e2e.test_enrolment_journeys import PASSWORD, PROGRAM, gymnastics_group, new_family

pytestmark = pytest.mark.e2e

# The focused element, as a test failure names it.
DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  if (!el) return "nothing";
  const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
  return `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.name ? " name=" + el.name : ""}> ${text.slice(0, 60)}`;
}"""
# A focus indicator: an outline or a box-shadow on the focused element (its transition done).
FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return false;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== "none";
}"""


def focus_is(page: Page, predicate: str) -> bool:
    return page.evaluate(
        f"() => {{ const el = document.activeElement; return !!el && !!({predicate})(el); }}"
    )


def assert_focus_shown(page: Page, step: str = "") -> None:
    """Focus is on an element (not <body>) and has a visible indicator."""
    on_body = page.evaluate(
        "() => !document.activeElement || document.activeElement === document.body"
    )
    assert not on_body, f"focus lost to <body> on {page.url} {step}"
    try:
        page.wait_for_function(FOCUS_VISIBLE, timeout=2_000)
    except PlaywrightTimeoutError:
        pytest.fail(
            f"no visible focus indicator (outline or box-shadow) on "
            f"{page.evaluate(DESCRIBE_FOCUS)} at {page.url}"
        )


def wait_for_results_heading(page: Page) -> None:
    """A submitted filter form (Enter sends a change and a submit: two htmx requests) has
    settled: nothing in flight, and the keyboard on the results heading, where app.js puts it."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request')"
        " && document.activeElement.hasAttribute('data-results-heading')"
    )


def tab_to(page: Page, predicate: str, *, limit: int = 40, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab) until the focused element matches the JavaScript predicate
    (`el => …`), unless it already does; not reaching it within `limit` presses is the
    failure."""
    key = "Shift+Tab" if backwards else "Tab"
    if focus_is(page, predicate):  # already there (a field with autofocus, say)
        assert_focus_shown(page)
        return
    for _ in range(limit):
        before = page.evaluate(DESCRIBE_FOCUS)
        page.keyboard.press(key)
        assert_focus_shown(page, f"after {key} from {before}")
        if focus_is(page, predicate):
            return
    pytest.fail(
        f"{predicate} not reached with {limit} presses of {key} on {page.url}; "
        f"focus is on {page.evaluate(DESCRIBE_FOCUS)}"
    )


def press_and_load(page: Page, key: str = "Enter") -> None:
    """A key that follows a link or submits a form: wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state("load")


def link(text: str, within: str = "") -> str:
    scope = f'el.closest("{within}") && ' if within else ""
    return f'el => el.tagName === "A" && {scope}el.textContent.trim() === "{text}"'


def test_anonymous_visitor_finds_a_programme_by_keyboard(page: Page, live_server, demo):
    page.goto(live_server.url + "/")

    # The skip link comes first and lands in the content.
    tab_to(page, 'el => el.classList.contains("skip-link")', limit=1)
    page.keyboard.press("Enter")
    assert focus_is(page, 'el => el.id === "content"'), page.evaluate(DESCRIBE_FOCUS)
    # Back up to the header's «Каталог».
    tab_to(page, link("Каталог", "header"), backwards=True)
    press_and_load(page)
    expect(page.locator("h1")).to_have_text("Каталог кружков и секций")

    # Search by typing, submit with Enter.
    tab_to(page, 'el => el.id === "id_q"')
    with page.expect_response(re.compile(r"/catalog/\?.*q=")):
        page.keyboard.type("гимнастика")
        page.keyboard.press("Enter")
    results = page.locator("#results")
    expect(results).to_contain_text(PROGRAM)
    # A submitted search sends the keyboard to the results heading (app.js).
    wait_for_results_heading(page)
    assert_focus_shown(page)

    # Open the filters with Enter on their summary (back above the results), give the age,
    # choose a direction by arrows.
    tab_to(
        page,
        'el => el.tagName === "SUMMARY" && el.textContent.trim() === "Фильтры"',
        backwards=True,
    )
    page.keyboard.press("Enter")
    expect(page.locator("#catalog-filters details")).to_have_attribute("open", "")
    tab_to(page, 'el => el.name === "age"')
    with page.expect_response(re.compile(r"/catalog/\?.*age=7")):
        page.keyboard.type("7")
        page.keyboard.press("Enter")
    expect(results).to_contain_text(PROGRAM)
    wait_for_results_heading(page)
    tab_to(page, 'el => el.name === "direction"', backwards=True)
    while page.evaluate("() => document.activeElement.value") != "sports":
        with page.expect_response(re.compile(r"/catalog/\?.*direction=")):
            page.keyboard.press("ArrowDown")
    expect(results).to_contain_text(PROGRAM)
    assert "direction=sports" in page.url and "age=7" in page.url

    # Open the programme's card.
    tab_to(page, link(PROGRAM, "#results"), limit=60)
    press_and_load(page)
    expect(page.locator("h1")).to_have_text(PROGRAM)
    expect(page.locator("main")).to_contain_text("Группа 2")


def test_parent_applies_for_a_club_by_keyboard_from_the_home_page(page: Page, live_server, demo):
    parent, certificate = new_family("Ветошева", "Дарья", dt.date(2018, 4, 2), "Ирина")
    group = gymnastics_group(2)
    assert group.free_places > 0

    # Log in from the home page.
    page.goto(live_server.url + "/")
    tab_to(page, 'el => el.tagName === "A" && el.getAttribute("href") === "/login/"')
    press_and_load(page)
    tab_to(page, 'el => el.name === "username"')
    page.keyboard.type(parent.username)
    tab_to(page, 'el => el.name === "password"', limit=3)
    page.keyboard.type(PASSWORD)
    press_and_load(page)
    expect(page).to_have_url(re.compile(r"/cabinet/parent/$"))

    # The catalogue, the search, the programme.
    tab_to(page, link("Каталог", "header"))
    press_and_load(page)
    tab_to(page, 'el => el.id === "id_q"')
    searches: list[str] = []
    page.on("request", lambda r: "/catalog/?" in r.url and searches.append(r.url))
    with page.expect_response(re.compile(r"/catalog/\?.*q=")):
        # Cyrillic is typed as text, without key presses (as pasted or dictated text is).
        page.keyboard.type("гимнастика")
        page.keyboard.press("Enter")
    # Both requests of the Enter (change and submit) answered before the keyboard moves on: a
    # late swap would replace the link under the focus (seen once under CI load).
    wait_for_results_heading(page)
    expect(page.locator("#results")).to_contain_text(PROGRAM)
    # And none after them: the debounced search fired again half a second after Enter (no
    # keyup had recorded the text), and its swap took the focus out of the results (CI, twice).
    sent = len(searches)
    page.wait_for_timeout(800)
    assert len(searches) == sent, searches
    tab_to(page, link(PROGRAM, "#results"), limit=60)
    press_and_load(page)
    expect(page.locator("h1")).to_have_text(PROGRAM)

    # «Записаться» in the card of the group with free places.
    tab_to(
        page,
        'el => el.dataset.testid === "enrol-link"'
        ' && el.closest("section.group-card").textContent.includes("Группа 2")',
        limit=80,
    )
    press_and_load(page)
    expect(page.locator("h1")).to_have_text("Запись в группу «Группа 2»")

    # Agree to the co-payment with Space, submit with Enter.
    tab_to(page, 'el => el.name === "copay_agreed"', limit=60)
    page.keyboard.press("Space")
    assert focus_is(page, "el => el.checked")
    tab_to(page, 'el => el.type === "submit" && el.textContent.trim() === "Подать заявку"')
    press_and_load(page)

    expect(page).to_have_url(re.compile(r"/cabinet/parent/enrolment/\d+/$"))
    expect(page.get_by_test_id("status")).to_have_text("новая, ждёт решения поставщика")
    application = Application.objects.get(certificate=certificate, group=group)
    assert application.status == Application.Status.NEW and application.copay_agreed
