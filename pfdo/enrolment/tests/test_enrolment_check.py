"""The public enrolment check (issue 14, item 4): surname, first name and the last 4 digits of
the child's document show where the child is enrolled — programme, provider, dates, in force or
not — and nothing else; the same answer for an unknown child and a child without contracts;
a malformed suffix is a field error; rate limits per address and per name; every attempt in
the action history without the name or the digits; through the service, the page and the API.
"""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from pfdo.audit.models import ActionLog
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import Child
from pfdo.certificates.tests.factories import child_data
from pfdo.certificates.validators import enrolment_check_hash
from pfdo.common import clock
from pfdo.common.errors import ValidationFailed
from pfdo.common.tests.worlds import copy_of, komi_and_vorkuta, make_user, world_once
from pfdo.enrolment import services
from pfdo.enrolment.services.check import ACTION, SUFFIX_ERROR
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 28)
API = "/api/v1/enrolment-check/"
PAGE = "/enrolment-check/"
MARIA = {"surname": "Белова", "first_name": "Мария", "document_suffix": "4321"}
ENROLMENT_KEYS = {
    "program",
    "provider",
    "starts_on",
    "ends_on",
    "status",
    "status_display",
    "is_active",
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


def enrolled(fam, group):
    staff = staff_of(group.module.program.provider)
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    contract = services.confirm(actor=staff, application=application)
    return services.accept(actor=fam.parent, contract=contract)


def build_world():
    with clock.frozen(TODAY):
        region, vorkuta = komi_and_vorkuta()
        inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
        approved_period(vorkuta)
        approved_period(inta)
        operator = make_user("operator", municipality=vorkuta)
        maria = family(
            vorkuta,
            operator,
            last_name="Белова",
            first_name="Мария",
            patronymic="Олеговна",
            document_number="II-ЕА 704321",
        )
        # Her namesake with other digits, and a child with no contracts.
        namesake = family(vorkuta, operator, last_name="Белова", document_number="II-ЕА 705555")
        idle = family(vorkuta, operator, last_name="Орлова", document_number="II-ЕА 701111")
        robots = ProviderFactory(municipality=vorkuta, short_name="ООО «Робо-Арктика»")
        chess = ProviderFactory(municipality=vorkuta, short_name="ДДТ «Шахматы»")
        robotics = ready_group(vorkuta, provider=robots, name="Робототехника", price=500_000)
        chess_group = ready_group(vorkuta, provider=chess, name="Шахматы", price=500_000, weekday=4)
        active = enrolled(maria, robotics)
        ended = enrolled(maria, chess_group)
        ended = services.terminate(actor=maria.parent, contract=ended, reason="Переезд")
        other = enrolled(
            namesake, ready_group(vorkuta, provider=chess, name="Лепка", price=500_000)
        )
        return SimpleNamespace(
            vorkuta=vorkuta,
            inta=inta,
            operator=operator,
            maria=maria,
            namesake=namesake,
            idle=idle,
            active=active,
            ended=ended,
            other=other,
        )


_world = world_once(build_world)


@pytest.fixture
def w(_world, db):
    return copy_of(_world)


def check(body, *, ip="203.0.113.7"):
    return APIClient(REMOTE_ADDR=ip).post(API, body, format="json")


def checks_recorded():
    return list(ActionLog.objects.filter(action=ACTION).order_by("pk"))


def limits(settings, **values):
    settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, **values}


# ---------------------------------------------------------------------------- the answer


def test_the_check_shows_the_childs_contracts_and_nothing_else(w):
    response = check(MARIA)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"checked_on", "enrolments"}
    assert body["checked_on"] == TODAY.isoformat()
    rows = body["enrolments"]
    assert all(set(row) == ENROLMENT_KEYS for row in rows)
    by_program = {row["program"]: row for row in rows}
    assert set(by_program) == {"Робототехника", "Шахматы"}  # not the namesake's «Лепка»
    robots = by_program["Робототехника"]
    assert robots["provider"] == "ООО «Робо-Арктика»"
    assert robots["is_active"] is True and robots["status"] == "active"
    assert robots["starts_on"] == w.active.starts_on.isoformat()
    assert robots["ends_on"] == w.active.ends_on.isoformat()
    chess = by_program["Шахматы"]
    assert chess["is_active"] is False and chess["status"] == "terminated"
    assert chess["status_display"] == "расторгнут"
    assert chess["ends_on"] == TODAY.isoformat()  # the day the termination took effect
    # Nothing else about the child, the certificate, the group or the money.
    text = response.content.decode()
    child = w.maria.child
    for secret in (
        child.document_number,
        child.snils,
        child.patronymic,
        child.birth_date.isoformat(),
        w.maria.certificate.number,
        w.active.number,
        w.active.group.name,
        str(w.active.price_kopecks),
        str(w.active.certificate_kopecks),
    ):
        assert secret not in text, secret


def test_case_spaces_and_yo_do_not_matter(w):
    body = {"surname": " БЕЛОВА ", "first_name": "мария", "document_suffix": " 43 21 "}
    assert len(check(body).json()["enrolments"]) == 2
    # A wrong digit is another key: nothing.
    assert check({**MARIA, "document_suffix": "4322"}).json()["enrolments"] == []


def test_an_unknown_child_and_a_child_without_contracts_get_one_answer(w):
    unknown = check({"surname": "Никто", "first_name": "Никак", "document_suffix": "0000"})
    idle = check({"surname": "Орлова", "first_name": "Мария", "document_suffix": "1111"})
    assert unknown.status_code == idle.status_code == 200
    assert unknown.content == idle.content
    assert idle.json() == {"checked_on": TODAY.isoformat(), "enrolments": []}
    # The history tells the operator what the answer did not.
    outcomes = [row.details["outcome"] for row in checks_recorded()]
    assert outcomes == ["unknown", "no_contracts"]


def test_the_page_shows_the_same_and_explains_what_to_do(w):
    client = Client(REMOTE_ADDR="203.0.113.8")
    form = client.get(PAGE)
    assert form.status_code == 200
    assert "Если нашлось незнакомое зачисление" in form.content.decode()
    found = client.post(PAGE, MARIA)
    html = found.content.decode()
    assert found.status_code == 200 and found["Cache-Control"] == "no-store"
    assert 'data-testid="enrolment-check-result"' in html
    assert html.count('data-testid="enrolment-row"') == 2
    assert "Робототехника" in html and "ООО «Робо-Арктика»" in html
    assert w.maria.certificate.number not in html and w.active.group.name not in html
    unknown = client.post(PAGE, {**MARIA, "document_suffix": "0000"}).content.decode()
    assert 'data-testid="no-enrolments"' in unknown and "Робототехника" not in unknown


def test_the_operator_contact_is_shown_when_configured(w, settings):
    settings.PFDO_OPERATOR_CONTACT = "тел. 8 (82151) 3-00-00, ул. Ленина, 1"
    html = Client().get(PAGE).content.decode()
    assert "8 (82151) 3-00-00" in html


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("suffix", ["123", "12345", "12a4", "", "１２３４x", "-123"])
def test_a_malformed_suffix_is_a_field_error_and_nothing_is_recorded(w, suffix):
    response = check({**MARIA, "document_suffix": suffix})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and set(error["fields"]) == {"document_suffix"}
    assert "Робототехника" not in response.content.decode()
    page = Client().post(PAGE, {**MARIA, "document_suffix": suffix})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="id_document_suffix_error"' in html
    assert 'data-testid="enrolment-check-result"' not in html
    assert checks_recorded() == []


def test_missing_names_are_field_errors(w):
    response = check({"surname": "", "first_name": "   ", "document_suffix": "4321"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"surname", "first_name"}
    with pytest.raises(ValidationFailed) as caught:
        services.check_enrolment(actor=None, surname="-", first_name="Мария", document_suffix="1")
    assert set(caught.value.fields) == {"surname", "document_suffix"}
    assert caught.value.fields["document_suffix"] == [SUFFIX_ERROR]
    assert checks_recorded() == []


def test_get_is_not_offered(w):
    response = APIClient().get(API, MARIA)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


# ---------------------------------------------------------------------------- limits


def test_past_the_address_limit_429_with_the_error_body(w, settings):
    limits(settings, enrolment_check_ip="2/3600")
    assert check(MARIA).status_code == 200
    assert check({**MARIA, "first_name": "Анна"}).status_code == 200
    refused = check(MARIA)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert set(refused.json()) == {"error"}
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Робототехника" not in refused.content.decode()
    # Another address is not held back.
    assert check(MARIA, ip="198.51.100.9").status_code == 200
    # The page answers 429 too, with the time to retry.
    page = Client(REMOTE_ADDR="203.0.113.7").post(PAGE, MARIA)
    assert page.status_code == 429 and "Слишком много попыток" in page.content.decode()
    assert "Робототехника" not in page.content.decode()
    outcomes = [row.details["outcome"] for row in checks_recorded()]
    assert outcomes == ["found", "unknown", "refused", "found", "refused"]
    refusals = ActionLog.objects.filter(action="rate_limited").order_by("pk")
    assert [(r.details["limit"], r.details["scope"], r.ip) for r in refusals] == [
        ("enrolment_check_ip", "ip", "203.0.113.7")
    ] * 2


def test_guessing_one_childs_digits_from_many_addresses_stops_at_the_name_limit(w, settings):
    limits(settings, enrolment_check_name="3/86400")
    for n, suffix in enumerate(("0001", "0002", "0003")):
        assert check({**MARIA, "document_suffix": suffix}, ip=f"192.0.2.{n}").status_code == 200
    # The right digits from a fresh address: refused, nothing shown.
    refused = check(MARIA, ip="192.0.2.200")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 3600
    assert "Робототехника" not in refused.content.decode()
    # Another child's name is not held back (case and spaces are one name).
    other = {"surname": "Орлова", "first_name": "Мария", "document_suffix": "1111"}
    assert check(other, ip="192.0.2.202").status_code == 200
    assert check({**MARIA, "surname": "белова "}, ip="192.0.2.201").status_code == 429


# ---------------------------------------------------------------------------- the record


def test_every_check_is_recorded_without_the_name_or_the_digits(w):
    check(MARIA)
    check({**MARIA, "document_suffix": "9999"})
    check({"surname": "Орлова", "first_name": "Мария", "document_suffix": "1111"})
    rows = checks_recorded()
    assert [(r.details["outcome"], r.details["contracts"]) for r in rows] == [
        ("found", 2),
        ("unknown", 0),
        ("no_contracts", 0),
    ]
    assert [r.municipality_id for r in rows] == [w.vorkuta.pk, None, w.vorkuta.pk]
    assert {r.ip for r in rows} == {"203.0.113.7"} and {r.actor_id for r in rows} == {None}
    for row in rows:
        written = f"{row.details} {row.object_repr} {row.object_id}"
        for secret in ("Белова", "белова", "Мария", "4321", "9999", "Орлова", "1111"):
            assert secret not in written, secret


def test_no_copy_of_the_answer_is_kept_for_an_idempotency_key(w):
    # Where a child is enrolled must not sit in the database for a day as a stored answer: a
    # repeat with the same key is a new check, answered afresh, counted and recorded again.
    from pfdo.common.models import IdempotencyRecord

    client = APIClient(REMOTE_ADDR="203.0.113.7")
    first = client.post(API, MARIA, format="json", HTTP_IDEMPOTENCY_KEY="check-1")
    again = client.post(API, MARIA, format="json", HTTP_IDEMPOTENCY_KEY="check-1")
    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in again
    assert again.json() == first.json()
    assert not IdempotencyRecord.objects.exists()
    assert len(checks_recorded()) == 2


def test_a_signed_in_checker_is_recorded_by_name(w):
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    client.force_authenticate(w.operator)
    assert client.post(API, MARIA, format="json").status_code == 200
    assert [r.actor_id for r in checks_recorded()] == [w.operator.pk]


def test_the_check_asks_the_database_the_same_whatever_the_number_of_contracts(w):
    def queries(body) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert check(body).status_code == 200
        return len(captured)

    two = queries(MARIA)
    one = queries(
        {"surname": "Белова", "first_name": w.namesake.child.first_name, "document_suffix": "5555"}
    )
    assert two == one and two <= 6


# ---------------------------------------------------------------------------- the key


def test_the_key_follows_a_re_key_of_the_hashes(w, settings):
    settings.PFDO_PD_HASH_KEY = "another-key-after-rotation"
    assert check(MARIA).json()["enrolments"] == []  # stored under the old key
    certificate_services.rekey_pd_hashes(actor=None)
    assert len(check(MARIA).json()["enrolments"]) == 2
    # A second run changes nothing.
    assert certificate_services.rekey_pd_hashes(actor=None).children_changed == 0


def test_the_migration_fills_the_key_of_children_already_there(w):
    expected = dict(Child.objects.values_list("pk", "check_hash"))
    assert all(expected.values())
    Child.objects.update(check_hash="")
    migration = importlib.import_module(
        "pfdo.certificates.migrations.0004_child_enrolment_check_hash"
    )
    migration.backfill(django_apps, None)
    assert dict(Child.objects.values_list("pk", "check_hash")) == expected


def test_a_corrected_name_on_a_new_application_moves_the_key(w):
    """The card is reused when the same child is filed again (after a refusal); its key is
    recomputed from the corrected name."""
    parent = certificate_services.register_parent(
        actor=None, municipality=w.vorkuta, last_name="Зайцева", first_name="Ольга"
    )
    application = certificate_services.apply_for_certificate(
        actor=w.operator,
        municipality=w.vorkuta,
        parent=parent,
        child={**_child_fields("Зайцева", "Ксения"), "document_number": "II-ЕА 707777"},
        channel="in_person",
    )
    body = {"surname": "Зайцева", "first_name": "Ксения", "document_suffix": "7777"}
    assert check(body).json() == {"checked_on": TODAY.isoformat(), "enrolments": []}
    certificate_services.reject_application(
        actor=w.operator, application=application, reason="Имя с ошибкой"
    )
    certificate_services.apply_for_certificate(
        actor=w.operator,
        municipality=w.vorkuta,
        parent=parent,
        child={
            **_child_fields("Зайцева", "Оксана"),
            "document_number": "II-ЕА 707777",
            "snils": application.child.snils,
        },
        channel="in_person",
    )
    child = Child.objects.get(pk=application.child_id)
    assert child.first_name == "Оксана"
    assert child.check_hash == enrolment_check_hash("Зайцева", "Оксана", "7777")


def _child_fields(last_name: str, first_name: str) -> dict:
    return child_data(last_name=last_name, first_name=first_name)


def test_the_schema_declares_the_public_check_with_its_429(w):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/enrolment-check/"]["post"]
    assert {} in operation["security"]  # no login needed
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert set(operation["responses"]) >= {"200", "400", "429"}


# ------------------------------------------------- the body as the schema states it (issue 18)


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("document_suffix", " 1 2\t3 4 ", True),
        ("document_suffix", "\u00a01234\u2003", True),
        ("document_suffix", "١٢٣٤", False),  # Arabic-Indic digits: not a document's
        ("document_suffix", "12345", False),
        ("document_suffix", "1234" + " " * 17, False),  # 21 characters as sent
        ("surname", "  Иванова ", True),
        ("surname", "-", False),
        ("surname", "\u2014 \uff0d", False),  # dashes alone: no name once normalised
        ("first_name", "\u00a0\u3000", False),
    ],
)
def test_what_the_schema_allows_the_check_takes_and_what_it_refuses_is_a_field_error(
    w, field, value, allowed
):
    from pfdo.common.tests.served_schema import body_is_valid, served_schema

    body = {**MARIA, field: value}
    assert body_is_valid(served_schema(), "POST", "/api/v1/enrolment-check/", body) is allowed
    response = check(body)
    if allowed:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {field}
