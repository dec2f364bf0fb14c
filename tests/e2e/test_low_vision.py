"""The version for the visually impaired in the browser: switched on from the home page's
header, the largest text, white on black, images off and wide spacing really change what the
browser draws; the choice survives navigation; the page still fits a 390 px phone; the quick
panel changes one setting; «Обычная версия» returns to the normal site."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect

from pfdo.demo.accounts import DEMO_PASSWORD
from tests.e2e.test_login_journeys import log_in

pytestmark = pytest.mark.e2e

STYLE = """() => {
  const root = getComputedStyle(document.documentElement);
  const body = getComputedStyle(document.body);
  return {
    rootFont: parseFloat(root.fontSize),
    color: body.color,
    background: body.backgroundColor,
    rootBackground: root.backgroundColor,
    letterSpacing: body.letterSpacing,
    wordSpacing: parseFloat(body.wordSpacing) || 0,
    lineHeight: parseFloat(getComputedStyle(document.querySelector('main p')).lineHeight),
    paragraphFont: parseFloat(getComputedStyle(document.querySelector('main p')).fontSize),
  };
}"""
FITS_390 = "() => document.documentElement.scrollWidth <= 390"
WHITE = "rgb(255, 255, 255)"
BLACK = "rgb(0, 0, 0)"


def html_classes(page: Page) -> list[str]:
    return page.evaluate("() => [...document.documentElement.classList]")


@pytest.fixture
def give_photo():
    """give_photo(pk): a demo programme gets a photo (an informative image with its alt text);
    the file is removed after the test."""
    from django.core.files.base import ContentFile
    from PIL import Image

    from pfdo.catalog.models import Program

    given = []

    def give(pk: int):
        program = Program.objects.get(pk=pk)
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (10, 120, 200)).save(buffer, format="PNG")
        program.photo.save("low-vision-test.png", ContentFile(buffer.getvalue()), save=True)
        given.append(program)
        return program

    yield give
    for program in given:
        program.photo.delete(save=False)


def test_the_low_vision_version_from_the_home_page(page: Page, live_server, demo, give_photo):
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + "/")
    normal = page.evaluate(STYLE)
    assert html_classes(page) == []
    assert normal["background"] in (WHITE, "rgba(0, 0, 0, 0)")
    assert normal["letterSpacing"] == "normal"
    # The quick panel is there in the markup but not shown in the normal version.
    expect(page.get_by_test_id("low-vision-panel")).to_be_hidden()

    page.get_by_role("link", name="Версия для слабовидящих").click()
    expect(page).to_have_url(re.compile(r"/accessibility/\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Версия для слабовидящих")
    form = page.get_by_test_id("low-vision-form")
    # The radio groups are named by their legends.
    expect(form.get_by_role("group", name="Размер текста")).to_be_visible()
    form.get_by_label("Самый крупный (200 %)").check()
    form.get_by_label("Белый текст на чёрном фоне").check()
    form.get_by_label("Не показывать", exact=False).check()
    form.get_by_label("Увеличенный").check()
    form.get_by_role("button", name="Применить").click()

    # Back where the visitor came from, in the low-vision version.
    expect(page).to_have_url(base + "/")
    expect(page.get_by_text("Настройки версии для слабовидящих сохранены.")).to_be_visible()
    assert html_classes(page) == [
        "lv",
        "lv-font-3",
        "lv-contrast-wb",
        "lv-images-off",
        "lv-spacing-wide",
    ]
    styled = page.evaluate(STYLE)
    assert styled["rootFont"] >= 2 * normal["rootFont"], (normal, styled)
    assert styled["paragraphFont"] >= 2 * normal["paragraphFont"], (normal, styled)
    assert styled["color"] == WHITE and styled["background"] == BLACK, styled
    assert styled["rootBackground"] == BLACK, styled
    letter_spacing = float(styled["letterSpacing"].removesuffix("px"))
    assert letter_spacing >= 0.12 * styled["paragraphFont"] - 0.5, styled
    assert styled["wordSpacing"] > 0, styled
    assert styled["lineHeight"] >= 1.5 * styled["paragraphFont"], styled
    # Links are yellow on black (19.6:1) and underlined.
    link = page.locator("main a:not([role=button])").first
    assert link.evaluate("a => getComputedStyle(a).color") == "rgb(255, 255, 0)"
    assert "underline" in link.evaluate("a => getComputedStyle(a).textDecorationLine")
    expect(page.get_by_test_id("low-vision-panel")).to_be_visible()

    # The choice survives navigation: the catalogue, then a programme card with a photo.
    page.get_by_role("link", name="Каталог", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/catalog/$"))
    assert "lv-font-3" in html_classes(page) and "lv-contrast-wb" in html_classes(page)
    href = page.locator(".program-card h3 a").first.get_attribute("href")
    programme = give_photo(int(re.search(r"/catalog/(\d+)/", href).group(1)))
    page.goto(base + href)
    assert "lv-images-off" in html_classes(page)
    photo = page.locator("img.program-photo")
    expect(photo).to_have_count(1)
    assert photo.evaluate("img => getComputedStyle(img).display") == "none"
    expect(photo).to_be_hidden()
    # In its place, the image's text.
    expect(page.locator(".img-alt")).to_be_visible()
    expect(page.locator(".img-alt")).to_have_text(f"Фото: {programme.name}")
    assert page.evaluate("() => getComputedStyle(document.body).color") == WHITE

    # A phone with the largest text: nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", "/catalog/", href, "/accessibility/"):
        page.goto(base + path)
        assert "lv-font-3" in html_classes(page), path
        assert page.evaluate(FITS_390), (
            path,
            page.evaluate("() => document.documentElement.scrollWidth"),
        )
    # Signed in as well: the mode is the browser's, not the account's.
    log_in(page, base, "parent", DEMO_PASSWORD)
    expect(page).to_have_url(base + "/cabinet/parent/")
    assert "lv-font-3" in html_classes(page)
    assert page.evaluate(FITS_390)

    # The quick panel changes one setting and keeps the others (no script needed: a form).
    panel = page.get_by_test_id("low-vision-panel")
    panel.get_by_role("button", name="Чёрным по белому").click()
    expect(page).to_have_url(base + "/cabinet/parent/")
    assert html_classes(page) == [
        "lv",
        "lv-font-3",
        "lv-contrast-bw",
        "lv-images-off",
        "lv-spacing-wide",
    ]
    bw = page.evaluate(STYLE)
    assert bw["color"] == BLACK and bw["background"] == WHITE, bw
    # The chosen button says so to a screen reader too.
    expect(
        panel.get_by_role("button", name=re.compile(r"Чёрным по белому \(выбрано\)"))
    ).to_be_visible()

    # «Обычная версия»: back to the normal site, on the same page.
    page.set_viewport_size({"width": 1280, "height": 900})
    panel.get_by_role("button", name="Обычная версия").click()
    expect(page).to_have_url(base + "/cabinet/parent/")
    assert html_classes(page) == []
    back = page.evaluate(STYLE)
    assert back["rootFont"] == normal["rootFont"]
    assert back["letterSpacing"] == "normal"
    expect(page.get_by_test_id("low-vision-panel")).to_be_hidden()
    page.goto(base + "/catalog/")
    assert html_classes(page) == []


def test_the_quick_panel_works_without_javascript(browser, live_server, demo):
    """Plain forms: a browser with scripts off switches sizes and back."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    base = live_server.url
    page.goto(base + "/accessibility/?next=/catalog/")
    page.get_by_label("Очень крупный (150 %)").check()
    page.get_by_role("button", name="Применить").click()
    expect(page).to_have_url(base + "/catalog/")
    assert "lv-font-2" in html_classes(page)
    page.get_by_test_id("low-vision-panel").get_by_role(
        "button", name=re.compile("^A крупный")
    ).click()
    expect(page).to_have_url(base + "/catalog/")
    assert html_classes(page)[:2] == ["lv", "lv-font-1"]
    page.get_by_test_id("low-vision-panel").get_by_role("button", name="Обычная версия").click()
    assert html_classes(page) == []
    context.close()
