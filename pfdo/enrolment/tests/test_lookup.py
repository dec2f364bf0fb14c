"""The look-up of a certificate by provider staff (issue 13, item 2): the number and the child's
surname, the same "not found" for every miss, rate limits per staff member and per provider,
every attempt recorded, and the operator's report of look-ups — through the API and the pages.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from pfdo.accounts.models import User
from pfdo.audit.models import ActionLog
from pfdo.common import clock
from pfdo.common.tests.worlds import copy_of, komi_and_vorkuta, make_user, world_once
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, CertificateLookup
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.providers.tests.factories import ProviderFactory, add_staff
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 28)
LOOKUP = "/api/v1/certificates/lookup/"
REPORT = "/api/v1/certificate-lookups/"
SUMMARY = "/api/v1/certificate-lookups/summary/"
APPLICATIONS = "/api/v1/applications/"
LOOKUP_PAGE = "/cabinet/provider/certificate-lookup/"
ENROL_PAGE = "/cabinet/provider/enrol/"
REPORT_PAGE = "/cabinet/operator/certificate-lookups/"
MISS = "Сертификат не найден: проверьте номер и фамилию ребёнка."
# The children of Vorkuta, certificates 11 02 000001 … 000006 in this order.
SURNAMES = ["Белова", "Чернова", "Зайцева", "Орлова", "Соколова", "Лебедева"]
# What someone without the families' papers would try: the commonest surnames.
GUESSES = ["Иванов", "Иванова", "Смирнов", "Смирнова", "Кузнецов", "Кузнецова", "Попов"]
Outcome = CertificateLookup.Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


def build_world():
    with clock.frozen(TODAY):
        region, vorkuta = komi_and_vorkuta()
        inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
        approved_period(vorkuta)
        approved_period(inta)
        operator = make_user("operator", municipality=vorkuta)
        other_operator = make_user("operator", municipality=inta)
        families = [family(vorkuta, operator, last_name=name) for name in SURNAMES]
        provider_p = ProviderFactory(municipality=vorkuta, short_name="ООО «Пи»")
        provider_q = ProviderFactory(municipality=vorkuta, short_name="ООО «Ку»")
        provider_i = ProviderFactory(municipality=inta, short_name="ООО «Инта»")
        w = SimpleNamespace(
            vorkuta=vorkuta,
            inta=inta,
            operator=operator,
            other_operator=other_operator,
            regional_admin=make_user("regional_admin", region=region),
            payer=make_user("payer", municipality=vorkuta),
            families=families,
            certificates=[f.certificate for f in families],
            inta_certificate=family(inta, other_operator, last_name="Белова").certificate,
            provider_p=provider_p,
            provider_q=provider_q,
            provider_i=provider_i,
            staff_p=staff_of(provider_p),
            staff_p2=staff_of(provider_p),
            staff_q=staff_of(provider_q),
            staff_i=staff_of(provider_i),
            group=ready_group(vorkuta, provider=provider_p),
        )
        w.parent = families[0].parent
        w.parent.must_change_password = False
        w.parent.save(update_fields=["must_change_password"])
        w.multi = staff_of(provider_p)
        add_staff(provider_q, user=w.multi)
        return w


_world = world_once(build_world)


@pytest.fixture
def w(_world, db):
    return copy_of(_world)


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        # A fresh user object per client: memberships and providers are cached per object,
        # so every call below asks the database the same questions.
        client.force_authenticate(User.objects.get(pk=user.pk))
    return client


def pages(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def look_up(user, number, surname=None, **extra):
    body = {"number": number, **extra}
    if surname is not None:
        body["surname"] = surname
    return api(user).post(LOOKUP, body, format="json")


def file_in_person(user, group, number, surname=None):
    body = {"channel": "in_person", "certificate_number": number, "group": group.pk}
    if surname is not None:
        body["surname"] = surname
    return api(user).post(APPLICATIONS, body, format="json")


def page_errors(response) -> str:
    """The error block of a form page (what a miss says), whitespace folded."""
    html = response.content.decode()
    # The summary's own items (a form's errors); its links repeat the fields' error lists.
    summary = re.findall(r'<ul class="error-summary-list">(.*?)</ul>', html, re.S)
    found = [li for block in summary for li in re.findall(r"<li>((?:(?!<a ).)*?)</li>", block)]
    found += re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", " ".join(found)).split())


def names_in(content: bytes) -> set[str]:
    text = content.decode()
    return {name for name in SURNAMES if name in text}


def number(n: int) -> str:
    return f"1102{n:06d}"


# ------------------------------------------------------- a number alone no longer answers


def test_a_number_alone_no_longer_answers(w):
    certificate = w.certificates[0]
    # The old call: GET with the number in the address.
    old = api(w.staff_p).get(LOOKUP, {"number": certificate.number})
    assert old.status_code == 405 and not names_in(old.content)
    response = look_up(w.staff_p, certificate.number)
    assert response.status_code == 400 and not names_in(response.content)
    assert response.json()["error"]["fields"] == {"surname": ["Введите фамилию ребёнка."]}
    blank = look_up(w.staff_p, certificate.number, "   ")
    assert blank.status_code == 400 and not names_in(blank.content)
    # The pages: the look-up and the in-person enrolment.
    page = pages(w.staff_p).post(LOOKUP_PAGE, {"number": certificate.number})
    assert page.status_code == 200 and not names_in(page.content)
    assert "Введите фамилию ребёнка." in page_errors(page)
    preview = pages(w.staff_p).post(
        ENROL_PAGE, {"certificate_number": certificate.number, "group": w.group.pk}
    )
    assert preview.status_code == 200 and not names_in(preview.content)
    assert "Введите фамилию ребёнка." in page_errors(preview)
    # Filing in person by number alone.
    filed = file_in_person(w.staff_p, w.group, certificate.number)
    assert filed.status_code == 400 and "surname" in filed.json()["error"]["fields"]
    assert not Application.objects.exists()
    # A form error is not an attempt: nothing was looked at.
    assert not CertificateLookup.objects.exists()


def test_number_and_surname_answer_with_the_reduced_view(w):
    certificate = w.certificates[1]  # Чернова
    spaced = f"{certificate.number[:2]} {certificate.number[2:4]} {certificate.number[4:]}"
    response = look_up(w.staff_p, spaced, "  чЕрнова ")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "number": certificate.number,
        "child_name": "Чернова Мария Петровна",
        "age_years": 10,
        "type": "financing",
        "type_display": "сертификат финансирования",
        "is_active": True,
    }
    page = pages(w.staff_p).post(LOOKUP_PAGE, {"number": spaced, "surname": "ЧЕРНОВА"})
    assert page.status_code == 200
    assert "Чернова Мария Петровна" in page.content.decode()
    assert "10 лет" in page.content.decode()
    rows = list(CertificateLookup.objects.order_by("pk"))
    assert [(r.outcome, r.number, r.actor, r.provider, r.municipality) for r in rows] == [
        (Outcome.MATCHED, certificate.number, w.staff_p, w.provider_p, w.vorkuta)
    ] * 2
    assert rows[0].ip == "127.0.0.1" and rows[0].purpose == CertificateLookup.Purpose.LOOKUP


def test_no_copy_of_a_found_child_is_kept_for_an_idempotency_key(w):
    from pfdo.common.models import IdempotencyRecord

    certificate = w.certificates[1]  # Чернова
    client = api(w.staff_p)
    body = {"number": certificate.number, "surname": "Чернова"}
    first = client.post(LOOKUP, body, format="json", HTTP_IDEMPOTENCY_KEY="lookup-1")
    again = client.post(LOOKUP, body, format="json", HTTP_IDEMPOTENCY_KEY="lookup-1")
    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in again
    assert not IdempotencyRecord.objects.exists()
    assert CertificateLookup.objects.count() == 2  # a new look-up, counted and recorded


def test_a_double_surname_matches_whole_whatever_the_separator(w):
    fam = family(w.vorkuta, w.operator, last_name="Петрова-Водкина")
    for typed in ("петрова водкина", "Петрова – Водкина", "ПЕТРОВА-ВОДКИНА"):
        assert look_up(w.staff_p, fam.certificate.number, typed).status_code == 200, typed
    for typed in ("Петрова", "Водкина"):
        assert look_up(w.staff_p, fam.certificate.number, typed).status_code == 404, typed


# ------------------------------------------------------------ every miss answers the same


def _misses(w):
    """(number, surname) of: no such number; another municipality's certificate (with its
    child's surname); a certificate of the municipality with a wrong surname."""
    return [
        ("1102999999", "Белова"),
        (w.inta_certificate.number, "Белова"),
        (w.certificates[0].number, "Белов"),
    ]


def test_a_wrong_surname_answers_exactly_as_an_unknown_number(w):
    bodies, queries = set(), set()
    for n, surname in _misses(w):
        client = api(w.staff_p)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(LOOKUP, {"number": n, "surname": surname}, format="json")
        assert response.status_code == 404
        assert response.json()["error"] == {"code": "not_found", "message": MISS, "fields": {}}
        bodies.add(response.content)
        # The same work whatever did not match (so no time to tell them apart by).
        queries.add(len(captured))
        assert not names_in(response.content)
    assert len(bodies) == 1 and len(queries) == 1

    shown = set()
    for n, surname in _misses(w):
        page = pages(w.staff_p).post(LOOKUP_PAGE, {"number": n, "surname": surname})
        assert (
            page.status_code == 200 and 'data-testid="lookup-result"' not in page.content.decode()
        )
        assert "Белова Мария" not in page.content.decode()
        shown.add(page_errors(page))
    assert shown == {MISS}

    outcomes = [(r.outcome, r.number) for r in CertificateLookup.objects.order_by("pk")]
    expected = [
        (Outcome.UNKNOWN, ""),
        (Outcome.UNKNOWN, ""),
        (Outcome.WRONG_SURNAME, w.certificates[0].number),
    ]
    assert outcomes == expected * 2


def test_a_failed_in_person_filing_reveals_nothing(w):
    bodies, errors = set(), set()
    for n, surname in _misses(w):
        filed = file_in_person(w.staff_p, w.group, n, surname)
        assert filed.status_code == 400 and not names_in(filed.content)
        bodies.add(filed.content)
        data = {"certificate_number": n, "surname": surname, "group": w.group.pk}
        preview = pages(w.staff_p).post(ENROL_PAGE, data)
        forced = pages(w.staff_p).post(ENROL_PAGE, {**data, "action": "enrol"})
        for page in (preview, forced):
            assert page.status_code == 200 and "Белова Мария" not in page.content.decode()
            errors.add(page_errors(page))
    assert len(bodies) == 1
    assert bodies.pop().decode().count(MISS) == 1
    assert errors == {MISS}
    assert not Application.objects.exists()
    purposes = set(CertificateLookup.objects.values_list("purpose", flat=True))
    assert purposes == {CertificateLookup.Purpose.ENROL, CertificateLookup.Purpose.ENROL_PREVIEW}


def test_twenty_sequential_numbers_with_guessed_surnames_reveal_nothing(w):
    looked, filed = set(), set()
    for n in range(1, 21):
        guess = GUESSES[n % len(GUESSES)]
        response = look_up(w.staff_q, number(n), guess)
        assert response.status_code == 404 and not names_in(response.content)
        looked.add(response.content)
        filing = file_in_person(w.staff_p, w.group, number(n), guess)
        assert filing.status_code == 400 and not names_in(filing.content)
        filed.add(filing.content)
    assert len(looked) == len(filed) == 1  # one answer whatever the number
    assert not Application.objects.exists()
    rows = CertificateLookup.objects.filter(actor=w.staff_q)
    assert rows.count() == 20
    assert sorted(rows.exclude(number="").values_list("number", flat=True)) == [
        c.number for c in w.certificates
    ]
    assert set(rows.values_list("outcome", flat=True)) == {Outcome.WRONG_SURNAME, Outcome.UNKNOWN}
    # The operator's report points at them.
    summary = api(w.operator).get(SUMMARY).json()
    unusual = {(row["provider"], row["actor"]) for row in summary["staff"] if row["unusual"]}
    assert unusual == {(w.provider_q.pk, w.staff_q.pk), (w.provider_p.pk, w.staff_p.pk)}


# -------------------------------------------------------------------------- rate limits


def _limits(settings, **limits):
    settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, **limits}


def test_the_staff_members_limit(w, settings):
    _limits(settings, lookup_staff="3/3600")
    right = (w.certificates[2].number, "Зайцева")
    assert look_up(w.staff_p, *right).status_code == 200
    assert look_up(w.staff_p, "1102999999", "Зайцева").status_code == 404
    assert look_up(w.staff_p, *right).status_code == 200
    # The fourth attempt is refused, a right one too; nothing about the child in the answer.
    refused = look_up(w.staff_p, *right)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert not names_in(refused.content)
    # The filing in person counts against the same limit.
    filed = file_in_person(w.staff_p, w.group, *right)
    assert filed.status_code == 429 and not Application.objects.exists()
    # Another staff member of the same provider is not held back.
    assert look_up(w.staff_p2, *right).status_code == 200

    history = ActionLog.objects.filter(action="rate_limited").order_by("pk")
    assert [(e.actor, e.ip, e.municipality) for e in history] == [
        (w.staff_p, "127.0.0.1", w.vorkuta)
    ] * 2
    assert history[0].details["limit"] == "lookup_staff"
    assert history[0].details["scope"] == "user"
    refusals = CertificateLookup.objects.filter(outcome=Outcome.REFUSED)
    assert [(r.actor, r.number) for r in refusals] == [(w.staff_p, "")] * 2


def test_the_429_page_of_the_look_up_and_the_enrolment(w, settings):
    _limits(settings, lookup_staff="1/3600")
    client = pages(w.staff_p)
    data = {"number": w.certificates[0].number, "surname": "Белова"}
    assert "Белова Мария" in client.post(LOOKUP_PAGE, data).content.decode()
    for url, body in (
        (LOOKUP_PAGE, data),
        (
            ENROL_PAGE,
            {"certificate_number": data["number"], "surname": "Белова", "group": w.group.pk},
        ),
    ):
        response = client.post(url, body)
        assert response.status_code == 429, url
        assert 0 < int(response["Retry-After"]) <= 3600
        html = response.content.decode()
        assert "Слишком много попыток" in html and 'data-testid="retry-after"' in html
        assert "Белова Мария" not in html
    assert ActionLog.objects.filter(action="rate_limited", actor=w.staff_p).count() == 2


def test_the_providers_limit(w, settings):
    _limits(settings, lookup_provider="4/86400")
    right = (w.certificates[3].number, "Орлова")
    for user in (w.staff_p, w.staff_p, w.staff_p2, w.staff_p2):
        assert look_up(user, *right).status_code == 200
    refused = look_up(w.staff_p2, *right)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 3600
    assert look_up(w.staff_p, *right).status_code == 429
    # Another provider of the municipality has its own count.
    assert look_up(w.staff_q, *right).status_code == 200
    entry = ActionLog.objects.filter(action="rate_limited").order_by("pk").first()
    assert entry.details["limit"] == "lookup_provider" and entry.details["scope"] == "provider"
    assert entry.actor == w.staff_p2 and entry.municipality == w.vorkuta


def test_officials_look_up_their_registry_by_number_without_limit(w, settings):
    _limits(settings, lookup_staff="1/3600", lookup_provider="1/86400")
    certificate = w.certificates[0]
    for _ in range(3):
        response = look_up(w.operator, certificate.number)
        assert response.status_code == 200
        assert response.json()["child_name"] == "Белова Мария Петровна"
    assert look_up(w.other_operator, certificate.number).status_code == 404
    page = pages(w.operator).post(LOOKUP_PAGE, {"number": certificate.number})
    assert "Белова Мария Петровна" in page.content.decode()
    assert not CertificateLookup.objects.exists()
    assert not ActionLog.objects.filter(action="rate_limited").exists()


def test_staff_of_two_providers_say_for_which(w):
    certificate = w.certificates[4]  # Соколова
    unsaid = look_up(w.multi, certificate.number, "Соколова")
    assert unsaid.status_code == 400 and "provider" in unsaid.json()["error"]["fields"]
    foreign = look_up(w.multi, certificate.number, "Соколова", provider=w.provider_i.pk)
    assert foreign.status_code == 400
    said = look_up(w.multi, certificate.number, "Соколова", provider=w.provider_q.pk)
    assert said.status_code == 200
    page = pages(w.multi).post(
        LOOKUP_PAGE,
        {"number": certificate.number, "surname": "Соколова", "provider": w.provider_q.pk},
    )
    assert "Соколова Мария" in page.content.decode()
    assert set(CertificateLookup.objects.values_list("provider", flat=True)) == {w.provider_q.pk}


def test_the_surname_typed_is_never_stored(w):
    look_up(w.staff_p, w.certificates[0].number, "Неповторимова")
    look_up(w.staff_p, w.certificates[0].number, "Белова")
    file_in_person(w.staff_p, w.group, w.certificates[1].number, "Неповторимова")
    for row in CertificateLookup.objects.values():
        assert not any("Неповторимова".lower() in str(v).lower() for v in row.values()), row
        assert not any("белова" in str(v).lower() for v in row.values()), row
    assert not ActionLog.objects.filter(details__icontains="Неповторимова").exists()


# ------------------------------------------------------------------- the operator's report


def _attempts(w):
    """Vorkuta: P finds one and misses one (on 27.11), Q misses one (on 28.11); Inta: one."""
    with clock.frozen(dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)):
        look_up(w.staff_p, w.certificates[0].number, "Белова")
        look_up(w.staff_p, w.certificates[1].number, "Белова")
    look_up(w.staff_q, "1102999999", "Иванова")
    look_up(w.staff_i, w.inta_certificate.number, "Белова")


def test_the_report_lists_attempts_scoped_to_the_operators_municipality(w):
    _attempts(w)
    listed = api(w.operator).get(REPORT)
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert listed.json()["count"] == 3
    assert [(r["actor"], r["provider"], r["outcome"], r["matched"], r["number"]) for r in rows] == [
        (w.staff_q.pk, w.provider_q.pk, "unknown", False, ""),
        (w.staff_p.pk, w.provider_p.pk, "wrong_surname", False, w.certificates[1].number),
        (w.staff_p.pk, w.provider_p.pk, "matched", True, w.certificates[0].number),
    ]
    assert rows[0]["municipality"] == "vorkuta" and rows[0]["ip"] == "127.0.0.1"
    assert rows[0]["provider_name"] == "ООО «Ку»" and rows[0]["actor_name"]
    assert rows[0]["outcome_display"] == "номера нет в муниципалитете"
    assert "surname" not in rows[0]
    # The other municipality's operator sees only theirs; the region sees both.
    other = api(w.other_operator).get(REPORT).json()["results"]
    assert [(r["actor"], r["outcome"]) for r in other] == [(w.staff_i.pk, "matched")]
    assert api(w.other_operator).get(f"{REPORT}{rows[0]['id']}/").status_code == 404
    assert api(w.operator).get(f"{REPORT}{rows[0]['id']}/").json()["id"] == rows[0]["id"]
    assert api(w.regional_admin).get(REPORT).json()["count"] == 4


def test_the_report_filters_and_counts(w):
    _attempts(w)
    client = api(w.operator)

    def ids(**query):
        response = client.get(REPORT, query)
        assert response.status_code == 200, response.content
        return [(r["actor"], r["outcome"]) for r in response.json()["results"]]

    assert ids(provider=w.provider_p.pk) == [
        (w.staff_p.pk, "wrong_surname"),
        (w.staff_p.pk, "matched"),
    ]
    assert ids(actor=w.staff_q.pk) == [(w.staff_q.pk, "unknown")]
    assert ids(matched="true") == [(w.staff_p.pk, "matched")]
    assert ids(matched="false") == ids(outcome="missed")
    assert len(ids(outcome="missed")) == 2
    assert ids(date_from="2026-11-28") == [(w.staff_q.pk, "unknown")]
    assert len(ids(date_to="2026-11-27")) == 2
    assert client.get(REPORT, {"date_from": "2026-13-45"}).status_code == 400
    summary = client.get(SUMMARY, {"date_to": "2026-11-28"}).json()
    by_provider = {r["provider"]: r for r in summary["providers"]}
    assert {k: by_provider[w.provider_p.pk][k] for k in ("matched", "missed", "refused")} == {
        "matched": 1,
        "missed": 1,
        "refused": 0,
    }
    assert by_provider[w.provider_q.pk]["total"] == 1
    assert w.provider_i.pk not in by_provider
    assert not any(r["unusual"] for r in summary["providers"] + summary["staff"])


@pytest.mark.parametrize(
    "role", ["staff_p", "staff_q", "parent", "payer", "anonymous", "operator", "regional_admin"]
)
def test_the_report_api_is_for_officials_only(w, role):
    _attempts(w)
    user = None if role == "anonymous" else getattr(w, role)
    row = CertificateLookup.objects.filter(municipality=w.vorkuta).first()
    for url in (REPORT, SUMMARY, f"{REPORT}{row.pk}/"):
        response = api(user).get(url)
        expected = {"anonymous": 401, "operator": 200, "regional_admin": 200}.get(role, 403)
        assert response.status_code == expected, (role, url, response.content)


def test_the_report_page(w):
    _attempts(w)
    for n in range(1, 13):  # Q's staff member guesses numbers
        look_up(w.staff_q, number(n), "Иванова")
    client = pages(w.operator)
    home = client.get("/cabinet/operator/")
    assert REPORT_PAGE in home.content.decode()  # in the operator's navigation
    response = client.get(REPORT_PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="lookup-') == 15
    assert f'data-testid="provider-{w.provider_q.pk}" class="lookup-unusual"' in html
    assert f'data-testid="provider-{w.provider_p.pk}">' in html  # not marked
    assert f'data-testid="staff-{w.staff_q.pk}-{w.provider_q.pk}" class="lookup-unusual"' in html
    assert "ООО «Инта»" not in html
    assert w.certificates[0].number in html
    missed = client.get(REPORT_PAGE, {"outcome": "missed", "provider": w.provider_p.pk})
    assert missed.content.decode().count('data-outcome="') == 1
    assert 'data-outcome="wrong_surname"' in missed.content.decode()
    # Officials of another municipality see their own; providers and parents may not open it.
    other = pages(w.other_operator).get(REPORT_PAGE).content.decode()
    assert "ООО «Инта»" in other and "ООО «Ку»" not in other
    for user in (w.staff_p, w.parent):
        assert pages(user).get(REPORT_PAGE).status_code == 403
    assert Client().get(REPORT_PAGE).status_code == 302


def test_look_up_records_are_append_only(w):
    _attempts(w)
    row = CertificateLookup.objects.first()
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        CertificateLookup.objects.update(outcome=Outcome.MATCHED)
    with pytest.raises(PermissionError):
        row.delete()


def test_the_service_refuses_staff_of_another_provider(w):
    from pfdo.common.errors import AccessDenied

    with pytest.raises(AccessDenied):
        services.look_up_for_provider(
            actor=w.staff_q,
            provider=w.provider_p,
            number=w.certificates[0].number,
            surname="Белова",
        )
    assert not CertificateLookup.objects.exists()


@pytest.mark.parametrize(
    ("number", "allowed"),
    [
        ("\t-11 02-000 999 -\u00a0", True),
        ("1102000999", True),
        ("11 02 0009\t99", False),  # a tab inside
        ("١١٠٢٠٠٠٩٩٩", False),  # Arabic-Indic digits
        ("110200099", False),
        (1102000999, False),  # a JSON number, not the string the schema states
    ],
)
def test_the_schema_states_the_number_exactly(w, number, allowed):
    """Issue 18: what the schema allows is looked up (an unknown number: 404), what it refuses
    is a field error before any look-up."""
    from pfdo.common.tests.served_schema import body_is_valid, served_schema

    body = {"number": number, "surname": "Иванова"}
    assert body_is_valid(served_schema(), "POST", LOOKUP, body) is allowed
    response = look_up(w.staff_p, number, "Иванова")
    if allowed:
        assert response.status_code == 404, response.content
    else:
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {"number"}
