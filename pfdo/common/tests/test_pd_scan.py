"""The test run's personal-data watch (pd_scan) catches leaks and leaves the rest alone."""

from __future__ import annotations

import io
import json
import logging

import openpyxl
import pytest
from django.conf import settings
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.urls import path

from pfdo.certificates.validators import snils_check_digits
from pfdo.common.tests import pd_scan

BODY = "150123456"
SNILS = BODY + snils_check_digits(BODY)
SHOWN = f"{SNILS[:3]}-{SNILS[3:6]}-{SNILS[6:9]} {SNILS[9:]}"
WRONG_CHECK = BODY + f"{(int(SNILS[9:]) + 1) % 100:02d}"


@pytest.fixture(autouse=True)
def _clean():
    """What these tests leak on purpose is taken here, not left to fail them."""
    pd_scan.take()
    yield
    pd_scan.take()


@pytest.fixture
def someone(make_user, vorkuta):
    """someone(role) → a user of Vorkuta (or of Komi, a regional administrator) in that role."""

    def make(role):
        if role == "regional_admin":
            return make_user(role, region=vorkuta.region)
        return make_user(role, municipality=None if role == "expert" else vorkuta)

    return make


def kinds(text, **kw):
    return [m.kind.split(" (")[0] for m in pd_scan.find(text, **kw)]


@pytest.mark.parametrize(
    "text, found",
    [
        (f"СНИЛС: {SHOWN}", ["СНИЛС"]),
        (f'{{"snils": "{SNILS}"}}', ["СНИЛС"]),
        (f"<td>{SNILS[:3]} {SNILS[3:6]} {SNILS[6:9]} {SNILS[9:]}</td>", ["СНИЛС"]),
        ("<dd>II-ЕА 100023</dd>", ["birth certificate number"]),
        ("<dd>IV-ЁЖ № 100023</dd>", ["birth certificate number"]),
        ("паспорт 8703 100023 · 8703 № 100024", ["passport number", "passport number"]),
        # Not identifiers: a wrong check digit, money, dates, phones, certificate numbers.
        (f"<td>{WRONG_CHECK}</td>", []),
        ("1\u202f234\u202f567,89 ₽ · 2 417 100,00 ₽ · 241710000,00", []),
        ('{"budget_kopecks": ' + SNILS + ', "n": [' + SNILS + "]}", []),
        ("14.05.2016 · 2016-05-14T10:20:30.123456+03:00 · 2026/2027", []),
        (f"+{SNILS} · +7 912 345-67-89 · 8 (82151) 3-45-67", []),
        ("Сертификат № 11 02 000001 (1102000001) · ИНН 110301234567", []),
        ("счёт 40702810900000012345 · БИК 048702640 · ОГРН 1021100000012", []),
        (f"{SNILS}1 · 0{SNILS} · {SNILS}.50 · abc{SNILS}", []),
        # The forms' printed examples are public.
        ("например 112-233-445 95; II-ЕА 123456 или 8712 345678", []),
    ],
)
def test_what_is_and_is_not_an_identifier(text, found):
    assert kinds(text, json=text.startswith("{")) == found


def test_a_large_answer_is_read_whole_and_every_time_it_is_served():
    """Large bodies are scanned once and the result kept (pd_scan._LARGE): a leak in one is
    still found, on every serving, and a clean one next to it stays clean."""
    padding = "000000 " * (pd_scan._LARGE // 7)
    leaking = f"<p>{padding}</p><p>{SHOWN}</p>"
    clean = f"<p>{padding}</p><p>{WRONG_CHECK}</p>"
    assert len(leaking) >= pd_scan._LARGE
    for _ in range(2):
        assert [m.value for m in pd_scan.find(leaking)] == [SNILS]
        assert pd_scan.find(clean) == []


def _middleware(content, *, content_type="text/html", user=None, request=None):
    response = content if not isinstance(content, str) else HttpResponse(content, content_type)
    request = request or RequestFactory().get("/api/v1/children/7/")
    if user is not None:
        request.user = user
    return pd_scan.PersonalDataScanMiddleware(lambda r: response)(request)


def test_a_snils_served_to_a_provider_is_flagged_with_the_path_and_pattern(someone):
    provider = someone("provider_staff")
    _middleware(JsonResponse({"snils": SNILS}), user=provider)
    [finding] = pd_scan.take()
    assert "GET /api/v1/children/7/ → 200" in finding
    assert "provider_staff" in finding and "СНИЛС (11 digits, check digits right)" in finding


@pytest.mark.parametrize("role", ["parent", "payer", "expert", None])
def test_every_non_official_is_watched(someone, role):
    user = someone(role) if role else None
    _middleware(f"<dd>{SHOWN}</dd><dd>II-ЕА 100023</dd>", user=user)
    [finding] = pd_scan.take()
    assert "СНИЛС (123-456-789 01)" in finding and "birth certificate" in finding


@pytest.mark.parametrize("role", ["operator", "regional_admin"])
def test_an_officials_answer_is_not_flagged(someone, role):
    _middleware(f"<dd>{SHOWN}</dd><dd>II-ЕА 100023</dd>", user=someone(role))
    assert pd_scan.take() == []


def test_what_the_request_carried_may_come_back():
    """A form shown again with the family's typing, a made-up path in a 404 page."""
    typed = f"snils=150+123+456+{SNILS[9:]}&document_number=ii-еа+100023"
    request = RequestFactory().post(
        "/certificates/apply/", typed, content_type="application/x-www-form-urlencoded"
    )
    _middleware(f'<input value="{SHOWN}"><input value="II-ЕА 100023">', request=request)
    assert pd_scan.take() == []
    # The test client's multipart form, as the view parsed it.
    form = {"birth_date": "2016-05-14", "document_number": "II-ЕА 100023", "snils": SHOWN}
    multipart = RequestFactory().post("/certificates/apply/", form)
    multipart.POST  # noqa: B018 - the view reads the form; the watch never parses it itself
    _middleware(f'<input value="{SNILS}"><input value="II-ЕА 100023">', request=multipart)
    assert pd_scan.take() == []
    _middleware(f"<p>{SHOWN}</p>", request=RequestFactory().get(f"/x/{SNILS}/"))
    assert pd_scan.take() == []
    other = "150123457" + snils_check_digits("150123457")
    _middleware(f'<input value="{SHOWN}"><p>{other}</p>', request=request)
    [finding] = pd_scan.take()
    assert f"'{other}'" in finding and f"'{SNILS}'" not in finding


def test_streamed_and_spreadsheet_answers_are_read(someone):
    provider = someone("provider_staff")
    stream = StreamingHttpResponse(iter([b"a;b\n", f"x;{SNILS}\n".encode()]), "text/csv")
    response = _middleware(stream, user=provider)
    assert pd_scan.take() == []  # nothing read yet: nothing served yet
    b"".join(response.streaming_content)
    assert len(pd_scan.take()) == 1

    book = openpyxl.Workbook()
    book.active.append(["Иванова Мария", "II-ЕА 100023"])
    data = io.BytesIO()
    book.save(data)
    xlsx = HttpResponse(data.getvalue(), content_type=pd_scan.XLSX)
    _middleware(xlsx, user=provider)
    [finding] = pd_scan.take()
    assert "birth certificate" in finding


def test_a_log_line_with_an_identifier_is_flagged_whoever_asked():
    logging.getLogger("pfdo.test").warning("duplicate child %s", SHOWN)
    [finding] = pd_scan.take()
    assert finding.startswith("log pfdo.test WARNING: СНИЛС")
    logging.getLogger("pfdo.test").warning("child %s", json.dumps({"card": 7}))
    assert pd_scan.take() == []


# ------------------------------------------------------- through Django, as every test runs

urlpatterns = [path("leak/", lambda request: JsonResponse({"snils": SNILS}))]


@pytest.mark.urls(__name__)
def test_the_watch_is_installed_for_every_request_of_the_run(client, someone):
    assert settings.MIDDLEWARE[0].endswith("pd_scan.PersonalDataScanMiddleware")
    client.force_login(someone("provider_staff"))
    client.get("/leak/")
    [finding] = pd_scan.take()
    assert "GET /leak/ → 200" in finding

    with pytest.raises(pd_scan.PersonalDataLeak, match="/leak/"):
        client.get("/leak/")
        pd_scan.raise_if_found("this test")  # what conftest.py does after each phase
