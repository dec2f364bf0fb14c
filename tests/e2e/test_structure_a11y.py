"""Keyboard and screen-reader structure in the browser (issue 17): htmx updates announced in the
persistent #live-status and the keyboard moved to the results heading (never left on <body>),
the skip link first on the page, and a focus ring of at least 3:1 against the page."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from pfdo.demo.accounts import DEMO_PASSWORD
from pfdo.demo.identifiers import inn10
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.territory.models import Municipality
from tests.e2e.test_catalog_journey import _programme
from tests.e2e.test_login_journeys import log_in

pytestmark = pytest.mark.e2e

ACTIVE = """() => { const a = document.activeElement;
  return a ? {tag: a.tagName, id: a.id, heading: a.hasAttribute('data-results-heading')} : null; }"""
STATUS = "() => document.getElementById('live-status').textContent"
# WCAG relative luminance and contrast of the focused element's outline against the page.
CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const c = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
  };
  const a = document.activeElement, style = getComputedStyle(a);
  let bg = 'rgb(255, 255, 255)';
  for (let n = a.parentElement; n; n = n.parentElement) {
    const c = getComputedStyle(n).backgroundColor;
    if (c && c !== 'transparent' && !/rgba\\(.*, 0\\)$/.test(c)) { bg = c; break; }
  }
  const [l1, l2] = [lum(rgb(style.outlineColor)), lum(rgb(bg))].sort((x, y) => y - x);
  return {ratio: (l1 + 0.05) / (l2 + 0.05), width: parseFloat(style.outlineWidth),
          outline: style.outlineStyle, color: style.outlineColor, bg: bg, tag: a.tagName};
}"""


def assert_focus_on_results_heading(page: Page) -> None:
    # The focus moves when the swap settles, a moment after the response: wait for it to leave
    # where it was (a failure here names the element that kept it).
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            "() => document.activeElement && document.activeElement !== document.body"
            " && document.activeElement.hasAttribute('data-results-heading')",
            timeout=5000,
        )
    active = page.evaluate(ACTIVE)
    assert active["tag"] != "BODY" and active["heading"], active


@pytest.fixture
def big_catalogue(komi):
    """Enough programmes of one provider for a second page of the catalogue."""
    vorkuta = Municipality.objects.get(code="vorkuta")
    club = ProviderFactory(municipality=vorkuta, short_name="Клуб «Сполохи»", inn=inn10(977))
    for n in range(22):
        _programme(
            club,
            f"Шахматный кружок {n + 1}",
            direction="technical",
            ages=(6, 16),
            lessons=[(1 + n % 5, dt.time(15, 0), dt.time(16, 0))],
        )
    return club


def test_catalogue_filters_and_pages_are_announced_and_focused(
    page: Page, live_server, big_catalogue
):
    page.goto(f"{live_server.url}/catalog/?provider={big_catalogue.pk}")
    status = page.locator("#live-status")
    expect(page.locator("#results")).to_contain_text("Найдено программ: 22")
    # A filter applied with «Показать»: announced, and the keyboard lands on the results heading.
    # The filters are open (one is active: the provider).
    expect(page.get_by_label("Направленность")).to_be_visible()
    page.get_by_label("Направленность").select_option("technical")
    # The change applies the filter by itself (announced, the keyboard stays in the list); let
    # that update settle, or the «Показать» request below would be htmx's second of a pair.
    expect(status).to_have_text(re.compile(r"^Найдено программ: 22"))
    page.locator("#catalog-filters").get_by_role("button", name="Показать").focus()
    with page.expect_response(re.compile(r"/catalog/\?")):
        page.keyboard.press("Enter")
    expect(status).to_have_text(re.compile(r"^Найдено программ: 22, страница 1 из 2"))
    assert_focus_on_results_heading(page)
    # The live region is the one of base.html, outside the part htmx replaces.
    assert page.evaluate(
        "() => !document.getElementById('results').contains(document.getElementById('live-status'))"
    )
    assert page.locator("#results[aria-live]").count() == 0
    # Pagination by keyboard: the link is replaced with the results, focus goes to the heading.
    page.locator("#results").get_by_role("link", name="Вперёд →").focus()
    with page.expect_response(re.compile(r"page=2")):
        page.keyboard.press("Enter")
    expect(status).to_have_text(re.compile(r"^Найдено программ: 22, страница 2 из 2"))
    assert_focus_on_results_heading(page)
    expect(page.locator("#results")).to_contain_text("Страница 2 из 2")
    # Back to the first page: the same count is read again (cleared, then set).
    page.locator("#results").get_by_role("link", name="← Назад").focus()
    with page.expect_response(re.compile(r"page=1")):
        page.keyboard.press("Enter")
    expect(status).to_have_text(re.compile(r"страница 1 из 2"))
    assert_focus_on_results_heading(page)
    # A search narrowing the list is announced too; typing keeps the keyboard in the field.
    search = page.locator("#id_q")
    search.focus()
    with page.expect_response(re.compile(r"q=")):
        search.type("Шахматный кружок 7")
    expect(status).to_have_text("Найдено программ: 1")
    assert page.evaluate("() => document.activeElement.id") == "id_q"


def test_provider_registry_updates_in_place_and_announces(page: Page, live_server, big_catalogue):
    page.goto(live_server.url + "/providers/")
    heading = page.locator("[data-results-heading]")
    expect(heading).to_contain_text("Найдено поставщиков:")
    page.locator("[data-testid=provider-filters] input[name=search]").fill("Сполохи")
    with page.expect_response(re.compile(r"/providers/\?")):
        page.locator("[data-testid=provider-filters]").get_by_role("button", name="Показать").press(
            "Enter"
        )
    expect(page.locator("#live-status")).to_have_text("Найдено поставщиков: 1")
    expect(page.get_by_test_id("provider-row")).to_have_count(1)
    assert "search=" in page.url  # htmx pushed the address of the filtered list
    assert_focus_on_results_heading(page)


def test_journal_changes_are_announced_and_focus_stays_in_the_journal(
    page: Page, live_server, demo
):
    log_in(page, live_server.url, "provider", DEMO_PASSWORD)
    page.goto(live_server.url + "/cabinet/provider/billing/journal/")
    page.get_by_role("link", name="Журнал за текущий месяц").first.click()
    expect(page.get_by_test_id("month")).to_be_visible()
    # Save a lesson's marks by keyboard: the button is replaced by the swap with the journal.
    if page.locator("tfoot button", has_text="Сохранить").count() == 0:
        page.get_by_role("link", name="← Предыдущий месяц").click()
    saves = page.locator("tfoot button", has_text="Сохранить")
    if saves.count():
        saves.first.focus()
    else:
        # No lesson to mark this month: cancel one (a form with a reason) instead.
        page.locator(".lesson-list summary", has_text="Отменить").first.click()
        page.locator(
            ".lesson-list details[open] textarea, .lesson-list details[open] input[type=text]"
        ).first.fill("Карантин")
        page.locator(".lesson-list details[open]").get_by_role(
            "button", name="Отменить занятие"
        ).focus()
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.keyboard.press("Enter")
    expect(page.locator("#live-status")).to_have_text(re.compile(r"\S"))
    assert_focus_on_results_heading(page)
    assert page.evaluate("() => document.activeElement.id") == "journal-heading"


def test_skip_link_first_and_a_visible_focus_ring(page: Page, live_server, big_catalogue):
    for url in ("/", "/catalog/", "/no-such-page/"):
        page.goto(live_server.url + url)
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Перейти к содержанию")
        expect(skip).to_be_focused()
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "content", url
    # The ring of a link, a button and a text field reached by keyboard: ≥3:1 on the page.
    page.goto(live_server.url + "/catalog/")
    page.keyboard.press("Tab")
    seen = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        found = page.evaluate(CONTRAST)
        seen.add(found["tag"])
        assert found["outline"] != "none" and found["width"] >= 2, found
        assert found["ratio"] >= 3, found
    assert {"A", "INPUT", "BUTTON"} <= seen or {"A", "INPUT"} <= seen, seen
    # A dark (primary) button keeps a ring that stands out: the outline around its white halo.
    page.locator("#catalog-filters button[type=submit]").first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    page.wait_for_timeout(500)  # Pico animates box-shadow
    found = page.evaluate(CONTRAST)
    assert found["tag"] == "BUTTON" and found["ratio"] >= 3, found
    shadow = page.evaluate("() => getComputedStyle(document.activeElement).boxShadow")
    assert "255, 255, 255" in shadow, shadow
