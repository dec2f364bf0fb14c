"""Layout at a desktop (1200 px) and a phone (390 px): no page wider than the screen, tables
that fit or scroll inside a labelled focusable region, a skip link, and a menu button that
folds the navigation where it would wrap into rows."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from pfdo.demo.accounts import DEMO_PASSWORD
from tests.e2e.test_login_journeys import log_in

pytestmark = pytest.mark.e2e

FITS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
# Every table region wider than its column must be reachable by keyboard and named.
UNLABELLED_SCROLLERS = """() => [...document.querySelectorAll('.table-wrap')]
  .filter(w => w.scrollWidth > w.clientWidth + 1)
  .filter(w => !(w.getAttribute('tabindex') === '0' && w.getAttribute('role') === 'region'
                 && w.getAttribute('aria-label')))
  .map(w => w.outerHTML.slice(0, 120))"""
PAGES = {
    "parent": ["/cabinet/parent/", "/cabinet/parent/enrolment/"],
    "operator": ["/cabinet/operator/", "/cabinet/certificate-applications/"],
    "payer": ["/cabinet/billing/"],
}


def check_page(page: Page, url: str) -> None:
    page.goto(url)
    assert page.evaluate(FITS), f"{url} is wider than the screen"
    assert page.evaluate(UNLABELLED_SCROLLERS) == [], url


def test_pages_fit_the_desktop_and_the_phone(page: Page, live_server, demo):
    programme = None
    for width in (1200, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(live_server.url + "/catalog/")
        programme = programme or page.locator(".program-card h3 a").first.get_attribute("href")
        check_page(page, live_server.url + programme)
        # The module's price table fits a phone instead of clipping its last column.
        widths = page.evaluate(
            "() => [...document.querySelectorAll('.module-card .table-wrap')]"
            ".map(w => [w.scrollWidth, w.clientWidth])"
        )
        assert widths and all(scroll <= client + 1 for scroll, client in widths), widths
        for role, urls in PAGES.items():
            page.context.clear_cookies()
            log_in(page, live_server.url, role, DEMO_PASSWORD)
            for url in urls:
                check_page(page, live_server.url + url)
    # The payer's documents table was 1 665 px wide in a 1 200 px page.
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(live_server.url + "/cabinet/billing/")
    region = page.get_by_test_id("documents-region")
    assert region.get_attribute("role") == "region" and region.get_attribute("tabindex") == "0"
    assert region.get_attribute("aria-label").startswith("Документы поставщиков")
    assert page.evaluate(
        "() => { const w = document.querySelector('[data-testid=documents-region]');"
        " return w.scrollWidth <= w.clientWidth + 1; }"
    )


def test_every_page_reflows_at_320_px(page: Page, live_server, demo):
    """WCAG 1.4.10 (issue 17): at 320 CSS px no page scrolls sideways; wide tables scroll inside
    their named focusable region. The pages above, the home page, the catalogue, a programme
    card, the provider registry and the provider's attendance journal (425 px wide before)."""
    page.set_viewport_size({"width": 320, "height": 800})
    wide = "() => document.documentElement.scrollWidth"

    def fits(url):
        # What sticks out, for the message: the innermost elements past the right edge.
        culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > 321)
          .filter(e => !e.parentElement.closest('.table-wrap')
                       || e.parentElement.closest('.table-wrap').getBoundingClientRect().right > 321)
          .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > 321))
          .slice(0, 5).map(e => e.outerHTML.slice(0, 100))""")
        assert page.evaluate(wide) <= 320, (url, culprits)

    public = ["/", "/catalog/", "/providers/", "/enrolment-check/", "/certificates/apply/"]
    page.goto(live_server.url + "/catalog/")
    public.append(page.locator(".program-card h3 a").first.get_attribute("href"))
    for url in public:
        page.goto(live_server.url + url)
        fits(url)
        assert page.evaluate(UNLABELLED_SCROLLERS) == [], url
    for role, urls in {**PAGES, "provider": ["/cabinet/provider/billing/journal/"]}.items():
        page.context.clear_cookies()
        log_in(page, live_server.url, role, DEMO_PASSWORD)
        for url in urls:
            page.goto(live_server.url + url)
            fits(url)
            assert page.evaluate(UNLABELLED_SCROLLERS) == [], url
    # The journal itself: its month navigation on screen, the grid scrolling in its region.
    page.get_by_role("link", name="Журнал за текущий месяц").first.click()
    expect(page.get_by_test_id("month")).to_be_visible()
    fits(page.url)
    months = page.get_by_role("navigation", name="Месяцы")
    for name in ("← Предыдущий месяц", "Следующий месяц →"):
        box = months.get_by_role("link", name=name).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320, (name, box)
    region = page.get_by_test_id("grid-region")
    if region.count():
        assert region.get_attribute("role") == "region" and region.get_attribute("tabindex") == "0"


def test_skip_link_and_the_menu_button(page: Page, live_server, demo):
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, live_server.url, "operator", DEMO_PASSWORD)
    page.goto(live_server.url + "/cabinet/operator/")
    # The first Tab reaches the skip link; following it puts the keyboard in the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Перейти к содержанию")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "content"
    # On a phone the navigation is folded behind "Меню" and opens on a press.
    menu = page.get_by_test_id("menu-button")
    queue = page.locator("header.site-header").get_by_role("link", name="Заявления на сертификаты")
    expect(menu).to_be_visible()
    expect(queue).to_be_hidden()
    menu.click()
    expect(queue).to_be_visible()
    # The long staff menu is folded at 1200 px too (it wrapped to three or four rows there);
    # a parent's short one is open on a desktop, with "Каталог" once and no jargon.
    page.set_viewport_size({"width": 1200, "height": 800})
    page.reload()
    expect(menu).to_be_visible()
    expect(queue).to_be_hidden()
    page.context.clear_cookies()
    log_in(page, live_server.url, "parent", DEMO_PASSWORD)
    page.goto(live_server.url + "/cabinet/parent/")
    header = page.locator("header.site-header")
    expect(page.get_by_test_id("menu-button")).to_be_hidden()
    expect(header.get_by_role("link", name="Каталог", exact=True)).to_have_count(1)
    expect(header.get_by_role("link", name="Мои дети")).to_be_visible()
    assert "Программы ПФ" not in header.inner_text()
