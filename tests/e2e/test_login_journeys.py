"""Login journeys in the browser: every role's home, wrong passwords, lockout, issued passwords."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from pfdo.demo.accounts import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite]

# login, role home path, the home's <h1>, the navigation link to that home
ROLE_HOMES = [
    ("parent", "/cabinet/parent/", "Личный кабинет родителя", "Кабинет родителя"),
    (
        "provider",
        "/cabinet/provider/",
        "Кабинет поставщика образовательных услуг",
        "Кабинет поставщика",
    ),
    ("operator", "/cabinet/operator/", "Кабинет оператора муниципалитета", "Кабинет оператора"),
    (
        "payer",
        "/cabinet/payer/",
        "Кабинет уполномоченной организации (плательщика)",
        "Кабинет плательщика",
    ),
    ("expert", "/cabinet/expert/", "Кабинет эксперта", "Кабинет эксперта"),
    ("region", "/cabinet/region/", "Кабинет администратора региона", "Кабинет региона"),
    ("admin", "/cabinet/admin/", "Администрирование системы", "Администрирование"),
]
# Who manages users (and so has "Пользователи" in the navigation).
USER_MANAGERS = {"operator", "region", "admin"}
INVALID_LOGIN = "Неверный логин или пароль"


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/login/")
    form = page.locator("main form")
    form.locator('input[name="username"]').fill(username)
    form.locator('input[name="password"]').fill(password)
    # The header has a "Войти" link styled as a button too: submit the form's own button.
    form.get_by_role("button", name="Войти").click()


def nav(page: Page):
    return page.locator("header nav")


@pytest.mark.parametrize(
    ("login", "path", "heading", "nav_label"), ROLE_HOMES, ids=[row[0] for row in ROLE_HOMES]
)
def test_each_role_logs_in_to_its_home_and_out(
    page: Page, live_server, demo, login, path, heading, nav_label
):
    log_in(page, live_server.url, login, DEMO_PASSWORD)

    expect(page).to_have_url(live_server.url + path)
    expect(page.locator("h1")).to_have_text(heading)
    expect(nav(page).get_by_role("link", name=nav_label, exact=True)).to_have_attribute(
        "href", path
    )
    expect(nav(page).get_by_role("link", name=login, exact=True)).to_be_visible()
    users_link = nav(page).get_by_role("link", name="Пользователи")
    expect(users_link).to_have_count(1 if login in USER_MANAGERS else 0)

    nav(page).get_by_role("button", name="Выйти").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("h1")).to_contain_text("Воркута")
    # The header's "Войти" is a link drawn as a button (role="button").
    expect(nav(page).get_by_role("button", name="Войти")).to_have_attribute("href", "/login/")
    expect(nav(page).get_by_role("button", name="Выйти")).to_have_count(0)
    # Signed out for real: the cabinet asks for a login again.
    page.goto(live_server.url + "/cabinet/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/cabinet/$"))


def test_wrong_password_and_unknown_login_get_the_same_message(page: Page, live_server, demo):
    log_in(page, live_server.url, "parent", "not-the-password")
    error = page.get_by_test_id("login-error")
    expect(error).to_contain_text(INVALID_LOGIN)
    wrong_password_message = error.inner_text()
    expect(page).to_have_url(re.compile(r"/login/$"))

    log_in(page, live_server.url, "nobody-here", "not-the-password")
    expect(error).to_contain_text(INVALID_LOGIN)
    # Nothing tells an existing login from an unknown one.
    assert error.inner_text() == wrong_password_message
    expect(nav(page).get_by_role("button", name="Выйти")).to_have_count(0)


def test_five_wrong_passwords_lock_the_login(page: Page, live_server, demo, settings):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        log_in(page, live_server.url, "parent", "wrong-password")
        expect(page.get_by_test_id("login-error")).to_contain_text(INVALID_LOGIN)

    log_in(page, live_server.url, "parent", "wrong-password")
    locked = page.get_by_test_id("login-error")
    expect(locked).to_contain_text("временно заблокирован")
    expect(locked).to_contain_text(re.compile(r"Повторите после \d\d:\d\d"))

    # Even the right password is refused while the lock lasts.
    log_in(page, live_server.url, "parent", DEMO_PASSWORD)
    expect(page.get_by_test_id("login-error")).to_contain_text("временно заблокирован")
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.goto(live_server.url + "/cabinet/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/cabinet/$"))


def test_an_issued_password_must_be_changed_before_the_cabinet_opens(page: Page, live_server, demo):
    from pfdo.accounts import services
    from pfdo.territory.models import Municipality

    vorkuta = Municipality.objects.get(code="vorkuta")
    user, issued = services.create_user(actor=None, username="new-parent", password=None)
    services.grant_role(actor=None, user=user, role="parent", municipality=vorkuta)
    assert issued

    log_in(page, live_server.url, "new-parent", issued)
    expect(page).to_have_url(re.compile(r"/password/change/"))
    expect(page.locator("h1")).to_have_text("Смена пароля")

    page.goto(live_server.url + "/cabinet/")
    expect(page).to_have_url(re.compile(r"/password/change/"))
    page.goto(live_server.url + "/cabinet/parent/")
    expect(page).to_have_url(re.compile(r"/password/change/"))

    form = page.locator("main form")
    form.locator('input[name="old_password"]').fill(issued)
    form.locator('input[name="new_password"]').fill("Tundra-Aurora-2026")
    form.locator('input[name="new_password2"]').fill("Tundra-Aurora-2026")
    form.get_by_role("button", name="Сменить пароль").click()

    expect(page.locator("h1")).to_have_text("Личный кабинет родителя")
    expect(page).to_have_url(live_server.url + "/cabinet/parent/")
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.check_password("Tundra-Aurora-2026")
    # The cabinet now opens directly.
    page.goto(live_server.url + "/cabinet/")
    expect(page).to_have_url(live_server.url + "/cabinet/parent/")


def test_operator_opens_a_users_card_and_the_view_is_logged(page: Page, live_server, demo):
    from pfdo.accounts.models import User
    from pfdo.audit.models import PersonalDataAccess

    operator = User.objects.get(username="operator")
    parent = User.objects.get(username="parent")
    assert not PersonalDataAccess.objects.filter(actor=operator).exists()

    log_in(page, live_server.url, "operator", DEMO_PASSWORD)
    expect(page.locator("h1")).to_have_text("Кабинет оператора муниципалитета")
    nav(page).get_by_role("link", name="Пользователи").click()
    expect(page).to_have_url(live_server.url + "/cabinet/users/")
    expect(page.locator("h1")).to_have_text("Пользователи")

    page.locator("main table").get_by_role("link", name="parent", exact=True).click()
    expect(page).to_have_url(live_server.url + f"/cabinet/users/{parent.pk}/")
    expect(page.locator("h1")).to_have_text("Иванова Мария Петровна")
    expect(page.locator("main")).to_contain_text("журнал доступа к персональным данным")

    rows = PersonalDataAccess.objects.filter(actor=operator)
    assert rows.count() == 1
    row = rows.get()
    assert (row.subject_type, row.subject_id, row.purpose) == (
        "accounts.user",
        str(parent.pk),
        "view_user_card",
    )
    assert row.municipality.code == "vorkuta"


def test_login_page_fits_a_phone_screen(page: Page, live_server, demo):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/login/")
    expect(page.locator("h1")).to_have_text("Вход")
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[1] == 390
    assert widths[0] <= widths[1], f"horizontal scroll: content {widths[0]}px, screen 390px"
    for name in ("username", "password"):
        box = page.locator(f'main form input[name="{name}"]').bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390


def test_unknown_address_shows_the_styled_russian_404(page: Page, live_server, demo):
    response = page.goto(live_server.url + "/no-such-page/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Страница не найдена")
    expect(page).to_have_title("Страница не найдена")
    assert page.locator("html").get_attribute("lang") == "ru"
    # Styled: the site's stylesheets load and apply (Pico sets a sans-serif font).
    loaded = page.evaluate(
        "() => Array.from(document.styleSheets).filter(s => s.cssRules.length > 0).length"
    )
    assert loaded >= 2
    font = page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert "Times" not in font
    expect(page.get_by_role("button", name="На главную")).to_have_attribute("href", "/")
    # Not Django's technical page.
    expect(page.locator("body")).not_to_contain_text("Page not found")
