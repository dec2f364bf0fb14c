"""The version for the visually impaired: the cookie's strict parsing, the settings page (its
cookie, its redirect back to this site only), and the classes on <html> with the switch on
every page, error pages included."""

from __future__ import annotations

import re

import pytest

from pfdo.common import low_vision
from pfdo.common.low_vision import COOKIE_NAME, NORMAL, LowVision, parse

URL = "/accessibility/"


def html_classes(response) -> list[str]:
    text = response.content.decode()
    tag = re.search(r"<html\b[^>]*>", text).group(0)
    found = re.search(r'\sclass="([^"]*)"', tag)
    return found.group(1).split() if found else []


# ---- parsing ----


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("f2.cbw.i0.s1", LowVision(font=2, contrast="bw", images=False, wide_spacing=True)),
        ("f3.cwb.i1.s0", LowVision(font=3, contrast="wb")),
        ("f0.c0.i1.s0", NORMAL),
        # Partial: a missing key keeps its default; order does not matter.
        ("f1", LowVision(font=1)),
        ("s1.cbw", LowVision(contrast="bw", wide_spacing=True)),
        ("i0", LowVision(images=False)),
    ],
)
def test_a_valid_cookie_is_read(value, expected):
    assert parse(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        "f4.cbw",  # no such step
        "f2.cred",  # no such scheme
        "f2.f3",  # a key twice
        "f2..cbw",  # an empty token
        "F2.CBW",  # case matters
        "f2.cbw.i0.s1.x",
        "f-1",
        "f2.cbw;i0",
        "f2." + "s1." * 20,
        "ф2",
        "f2\x00",
    ],
)
def test_anything_else_is_the_normal_version(value):
    assert parse(value) == NORMAL
    assert NORMAL.css_classes() == ""


def test_the_classes_and_the_cookie_value_round_trip():
    chosen = LowVision(font=3, contrast="wb", images=False, wide_spacing=True)
    assert chosen.css_classes() == "lv lv-font-3 lv-contrast-wb lv-images-off lv-spacing-wide"
    assert parse(chosen.cookie_value()) == chosen
    assert LowVision(font=1).css_classes() == "lv lv-font-1"
    assert LowVision(contrast="bw").css_classes() == "lv lv-contrast-bw"


# ---- the settings page ----


def test_the_page_shows_radio_groups_with_legends(client, db):
    page = client.get(URL, {"next": "/catalog/"})
    assert page.status_code == 200
    html = page.content.decode()
    for legend in ("Размер текста", "Цвета", "Изображения", "Интервал между буквами и строками"):
        assert f"<legend>{legend}</legend>" in html
    # Each radio has its label; the four sizes and the three schemes are there.
    radios = re.findall(r'<input type="radio" name="(\w+)" value="(\w+)"[^>]*id="([^"]+)"', html)
    assert {(name, value) for name, value, _ in radios} >= {
        ("font", "0"),
        ("font", "1"),
        ("font", "2"),
        ("font", "3"),
        ("contrast", "normal"),
        ("contrast", "bw"),
        ("contrast", "wb"),
        ("images", "on"),
        ("images", "off"),
        ("spacing", "normal"),
        ("spacing", "wide"),
    }
    for _, _, radio_id in radios:
        assert f'<label for="{radio_id}">' in html
    assert 'name="next" value="/catalog/"' in html
    assert "Обычная версия" in html


def test_the_page_refuses_a_foreign_next_even_as_a_back_link(client, db):
    html = client.get(URL, {"next": "https://evil.example/"}).content.decode()
    assert 'name="next" value=""' in html
    assert 'href="https://evil.example/"' not in html
    assert "Вернуться на страницу" not in html


def test_saving_sets_the_cookie_and_goes_back(client, db):
    response = client.post(
        URL,
        {"font": "3", "contrast": "wb", "images": "off", "spacing": "wide", "next": "/catalog/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/catalog/"
    cookie = response.cookies[COOKIE_NAME]
    assert cookie.value == "f3.cwb.i0.s1"
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 365 * 24 * 60 * 60
    assert cookie["httponly"]
    assert not cookie["secure"]  # a plain-HTTP request (the test client's)
    # The next page carries the classes.
    page = client.get("/catalog/")
    assert html_classes(page) == [
        "lv",
        "lv-font-3",
        "lv-contrast-wb",
        "lv-images-off",
        "lv-spacing-wide",
    ]


def test_the_cookie_is_secure_over_https(client, db):
    response = client.post(URL, {"font": "2", "next": "/"}, secure=True)
    assert response.cookies[COOKIE_NAME]["secure"]


def test_a_quick_control_changes_one_setting_and_keeps_the_others(client, db):
    client.cookies[COOKIE_NAME] = "f2.cbw.i1.s0"
    response = client.post(URL, {"images": "off", "next": "/catalog/?page=2"})
    assert response["Location"] == "/catalog/?page=2"
    assert response.cookies[COOKIE_NAME].value == "f2.cbw.i0.s0"


def test_the_normal_version_deletes_the_cookie(client, db):
    client.cookies[COOKIE_NAME] = "f3.cwb.i0.s1"
    response = client.post(URL, {"reset": "1", "next": "/"})
    assert response["Location"] == "/"
    assert response.cookies[COOKIE_NAME].value == ""
    assert response.cookies[COOKIE_NAME]["max-age"] == 0
    assert html_classes(client.get("/")) == []


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "http://testserver.evil.example/",
        "evil.example",
        "/catalog/\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_next_outside_this_site_is_never_followed(client, db, next_url):
    response = client.post(URL, {"font": "1", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == URL
    assert response.cookies[COOKIE_NAME].value == "f1.c0.i1.s0"


@pytest.mark.parametrize(
    "data",
    [
        {"font": "9"},
        {"font": "<script>"},
        {"contrast": "red"},
        {"images": ["on", "off", "x"]},
        {"spacing": "0" * 10_000},
        {"next": "/" * 3000},
    ],
)
def test_garbage_is_a_400_page_never_a_500(client, db, data):
    response = client.post(URL, data)
    assert response.status_code == 400
    assert COOKIE_NAME not in response.cookies
    assert 'class="error-summary" id="error-summary" role="alert"' in response.content.decode()


def test_an_empty_post_changes_nothing_and_errs_nothing(client, db):
    client.cookies[COOKIE_NAME] = "f1.cbw.i1.s0"
    response = client.post(URL, {})
    assert response.status_code == 302
    assert response.cookies[COOKIE_NAME].value == "f1.cbw.i1.s0"


def test_other_methods_are_refused(client, db):
    assert client.put(URL).status_code == 405


def test_the_form_is_csrf_protected(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(URL, {"font": "3", "next": "/"})
    assert response.status_code == 403
    assert COOKIE_NAME not in response.cookies


# ---- every page: the classes and the switch ----


def test_a_garbage_cookie_renders_the_normal_page(client, db):
    client.cookies[COOKIE_NAME] = "<script>alert(1)</script>"
    page = client.get("/")
    assert page.status_code == 200
    assert html_classes(page) == []


def switch_link(html: str) -> str:
    found = re.search(r'<a class="lv-switch" href="([^"]+)"[^>]*>.*?</a>', html, re.S)
    assert found, "no switch to the version for the visually impaired"
    assert "Версия для слабовидящих" in found.group(0)
    return found.group(1)


def test_the_switch_and_the_classes_for_an_anonymous_visitor(client, db):
    client.cookies[COOKIE_NAME] = "f2.cbw"
    for path in ("/", "/catalog/", "/login/", URL):
        page = client.get(path)
        assert page.status_code == 200, path
        assert html_classes(page) == ["lv", "lv-font-2", "lv-contrast-bw"], path
        html = page.content.decode()
        assert switch_link(html).startswith(URL + "?next=")
        assert 'data-testid="low-vision-panel"' in html
        assert "low-vision.css" in html


def test_the_switch_and_the_classes_for_a_signed_in_operator(client, operator):
    client.force_login(operator)
    page = client.get("/cabinet/operator/")
    assert page.status_code == 200
    assert html_classes(page) == []
    assert switch_link(page.content.decode()) == URL + "?next=/cabinet/operator/"
    client.cookies[COOKIE_NAME] = "f1.i0"
    assert html_classes(client.get("/cabinet/operator/")) == ["lv", "lv-font-1", "lv-images-off"]


def test_error_pages_keep_the_classes_and_the_switch(client, db):
    client.cookies[COOKIE_NAME] = "f3.cwb"
    page = client.get("/no-such-page-anywhere/")
    assert page.status_code == 404
    assert html_classes(page) == ["lv", "lv-font-3", "lv-contrast-wb"]
    html = page.content.decode()
    assert switch_link(html) == URL + "?next=/no-such-page-anywhere/"
    assert "low-vision.css" in html


def test_the_500_page_keeps_the_classes_without_a_request_context(rf):
    from pfdo.common.views import server_error

    request = rf.get("/broken/")
    request.COOKIES[COOKIE_NAME] = "f2.cbw.i0.s1"
    response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert html_classes(response) == [
        "lv",
        "lv-font-2",
        "lv-contrast-bw",
        "lv-images-off",
        "lv-spacing-wide",
    ]
    assert switch_link(html) == URL


def test_an_informative_image_has_its_text_for_images_off():
    """The programme's photo is followed by its text equivalent, which low-vision.css shows
    only with images off (and a screen reader reads only then: it is display:none before)."""
    from pathlib import Path

    from django.conf import settings

    for name in (
        "pfdo/catalog/templates/catalog/public/detail.html",
        "pfdo/catalog/templates/catalog/manage/program_detail.html",
    ):
        text = (Path(settings.BASE_DIR) / name).read_text()
        img = re.search(r'<img [^>]*alt="([^"]+)"[^>]*>(.{0,200})', text)
        assert img, name
        assert f'<span class="img-alt">{img.group(1)}</span>' in img.group(2), name


def test_the_context_helper_without_a_request():
    assert low_vision.template_context(None) == {"low_vision": NORMAL, "low_vision_classes": ""}


def test_a_user_who_must_change_the_password_can_still_switch_the_mode(client, operator):
    operator.must_change_password = True
    operator.save(update_fields=["must_change_password"])
    client.force_login(operator)
    # Anything else sends them to the password form first.
    assert client.get("/catalog/")["Location"].startswith("/password/change/")
    assert client.get(URL).status_code == 200
    response = client.post(URL, {"font": "3", "next": "/password/change/"})
    assert response.status_code == 302
    assert response["Location"] == "/password/change/"
    assert response.cookies[COOKIE_NAME].value == "f3.c0.i1.s0"
