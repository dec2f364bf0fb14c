"""The public enrolment check of the ПФДО API v2 (`/enrollment-verification` and its steps) over
this system's check: what it shows (the check's enrolments, numbered, and a token — the same
shape for an unknown child), the check's limits and record, the letter that confirms the
family's e-mail (sent once, its key never stored in clear), the report to the municipality's
operators (once, without the child's name), the statistics, expiry, and bad bodies (never 500).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pfdo.accounts.models import Notification
from pfdo.accounts.tests.factories import grant
from pfdo.audit.models import ActionLog
from pfdo.common import clock
from pfdo.common.tests.worlds import copy_of, make_user, world_once
from pfdo.compat import tasks
from pfdo.compat.models import EnrolmentVerification
from pfdo.compat.services import verification
from pfdo.compat.tests.conftest import compat_path
from pfdo.enrolment.services.check import ACTION as CHECKED
from pfdo.enrolment.tests.test_enrolment_check import TODAY, build_world
from pfdo.territory.tests.factories import RegionFactory

pytestmark = pytest.mark.django_db

CHILD = {"soname": "Белова", "name": "Мария", "number": "4321"}
PARENT = {"soname": "Белова", "name": "Ольга", "phname": "Ивановна"}
EMAIL = "olga.belova@example.ru"
IP = "203.0.113.7"
CHECK = "enrollment-verification"
VERIFY = "enrollment-verification/verify"
# What no step may write or show beyond what the check shows.
NAMES = ("Белова", "белова", "Мария", "Ольга", "4321", EMAIL)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


_world = world_once(build_world)


@pytest.fixture
def w(_world, db):
    return copy_of(_world)


def post(path, body=None, *, ip=IP, raw: str | None = None, content_type="application/json"):
    client = Client(REMOTE_ADDR=ip)
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    return client.post(compat_path(path), data, content_type=content_type)


def get(path, *, ip=IP):
    return Client(REMOTE_ADDR=ip).get(compat_path(path))


def start(w, child=None, **extra):
    return post(CHECK, {**(child or CHILD), "operator_id": w.vorkuta.region_id, **extra})


def started(w, child=None) -> dict:
    response = start(w, child)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def verify(token, *, fakes=(), ip=IP, email=EMAIL, **extra):
    body = {
        "confirm_token": token,
        **PARENT,
        "email": email,
        "record_marks": [{"id": n, "fake": True} for n in fakes],
        **extra,
    }
    return post(VERIFY, body, ip=ip)


def letter_token(message) -> str:
    line = next(part for part in message.body.split() if "/confirm-email/" in part)
    return line.rsplit("/", 1)[1]


def mailed(w, django_capture_on_commit_callbacks, *, fakes=(1,)) -> tuple[str, str]:
    """A check of Мария whose family asked for the letter: (confirm_token, the letter's)."""
    token = started(w)["confirm_token"]
    with django_capture_on_commit_callbacks(execute=True):
        response = verify(token, fakes=fakes)
    assert response.status_code == 200, response.content
    return token, letter_token(mail.outbox[-1])


def confirm(token, *, ip=IP):
    return post(f"enrollment-verification/confirm-email/{token}", ip=ip)


def limits(settings, **values):
    settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, **values}


def sha(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def rows_text() -> str:
    """Everything the verifications and the action history hold, as text."""
    found = [
        json.dumps(row, default=str, ensure_ascii=False)
        for row in EnrolmentVerification.objects.values()
    ]
    found += [
        f"{row.details} {row.object_repr} {row.object_id}"
        for row in ActionLog.objects.filter(action__startswith="compat.")
    ]
    return "\n".join(found)


def assert_envelope(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"name", "message", "code", "status"} and body["status"] == status
    return body


# ------------------------------------------------------------------------------ the check


def test_the_check_shows_the_checks_enrolments_numbered_and_a_token(w):
    response = start(w, phname="Олеговна", fillDocument=True, region={"id": 1})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["result_code"] == "FLSCS" and body["result_message"] == "Полный успех"
    data = body["data"]
    assert set(data) == {"record_marks", "confirm_token", "count"} and data["count"] == 2
    marks = data["record_marks"]
    assert [mark["id"] for mark in marks] == [1, 2]
    by_program = {mark["program_name"]: mark for mark in marks}
    assert set(by_program) == {"Робототехника", "Шахматы"}
    robots = by_program["Робототехника"]
    assert robots == {
        "id": robots["id"],
        "program_name": "Робототехника",
        "organization_name": "ООО «Робо-Арктика»",
        "date_start": w.active.starts_on.isoformat(),
        "date_end": w.active.ends_on.isoformat(),
        "status": "active",
        "status_name": "действует",
        "is_active": True,
    }
    chess = by_program["Шахматы"]
    assert chess["status"] == "terminated" and chess["date_end"] == TODAY.isoformat()
    # Nothing the check does not show: no contract number or id, group, certificate, money.
    text = response.content.decode()
    child = w.maria.child
    for secret in (
        child.document_number,
        child.patronymic,
        w.maria.certificate.number,
        w.active.number,
        w.active.group.name,
        str(w.active.price_kopecks),
        f'"{w.active.pk}"',
    ):
        assert secret not in text, secret
    # The token is kept only as its hash; the contracts shown stay on the server, in order.
    token = data["confirm_token"]
    assert len(token) >= 43
    row = EnrolmentVerification.objects.get()
    assert row.token_hash == sha(token) and token not in rows_text()
    contracts = {mark["program_name"]: n for n, mark in enumerate(marks)}
    assert row.marks[contracts["Робототехника"]] == {
        "contract": w.active.pk,
        "municipality": w.vorkuta.pk,
    }
    assert row.marks[contracts["Шахматы"]]["contract"] == w.ended.pk
    assert row.region_id == w.vorkuta.region_id and row.municipality_id == w.vorkuta.pk
    assert row.expires_at == clock.now() + dt.timedelta(hours=24)
    assert row.state == EnrolmentVerification.State.CHECKED


def test_an_unknown_child_and_a_child_without_contracts_get_the_same_answer(w):
    unknown = started(w, {"soname": "Никто", "name": "Никак", "number": "0000"})
    idle = started(w, {"soname": "Орлова", "name": "Мария", "number": "1111"})
    found = started(w)
    for data in (unknown, idle):
        assert data["record_marks"] == [] and data["count"] == 0
        assert len(data["confirm_token"]) == len(found["confirm_token"])
    assert unknown["confirm_token"] != idle["confirm_token"]
    rows = EnrolmentVerification.objects.order_by("pk")
    assert [(r.marks, r.municipality_id) for r in rows[:2]] == [([], None), ([], None)]
    # The check's own record tells the operator what the answer did not.
    outcomes = [
        r.details["outcome"] for r in ActionLog.objects.filter(action=CHECKED).order_by("pk")
    ]
    assert outcomes == ["unknown", "no_contracts", "found"]


def test_the_same_database_questions_whatever_the_number_of_enrolments(w):
    def queries(child) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert start(w, child).status_code == 200
        return len(captured)

    two = queries(CHILD)
    one = queries({"soname": "Белова", "name": w.namesake.child.first_name, "number": "5555"})
    assert two == one <= 12


# ---------------------------------------------------------------------------- bad bodies


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"soname", "name", "number", "operator_id"}),
        ({**CHILD, "operator_id": "abc"}, {"operator_id"}),
        ({**CHILD, "operator_id": -1}, {"operator_id"}),
        ({**CHILD, "operator_id": 10**20}, {"operator_id"}),
        ({**CHILD, "number": 4321, "soname": None}, {"soname", "number"}),
        ({**CHILD, "phname": 0}, {"phname"}),
        ({**CHILD, "number": "12a4"}, {"number"}),
        ({**CHILD, "number": "12345"}, {"number"}),
        ({**CHILD, "soname": "   "}, {"soname"}),
        ({**CHILD, "name": "-"}, {"name"}),
        ({**CHILD, "soname": "x" * 151}, {"soname"}),
        ({**CHILD, "fillDocument": "maybe"}, {"fillDocument"}),
        ({**CHILD, "region": "Коми"}, {"region"}),
    ],
)
def test_bad_fields_are_422_with_the_field_and_nothing_is_checked(w, body, fields):
    if body and "operator_id" not in body:
        body = {**body, "operator_id": w.vorkuta.region_id}
    response = post(CHECK, body)
    assert response.status_code == 422, response.content
    answer = response.json()
    assert answer["result_code"] == "VAL01" and answer["data"] == {}
    assert set(answer["errors"]) == fields
    assert all(isinstance(m, list) and m for m in answer["errors"].values())
    assert not EnrolmentVerification.objects.exists()
    assert not ActionLog.objects.filter(action=CHECKED).exists()


def test_an_unknown_operator_is_a_field_error_before_anything_is_counted(w, settings):
    limits(settings, enrolment_check_name="1/86400")
    response = post(CHECK, {**CHILD, "operator_id": RegionFactory().pk + 1000})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"operator_id"}
    assert not ActionLog.objects.filter(action=CHECKED).exists()
    # The child's name was not counted: the one check a day still passes.
    assert start(w).status_code == 200


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 422),
        ('"Белова"', "application/json", 422),
        ("null", "application/json", 422),
        ("[" * 5000 + "]" * 5000, "application/json", 400),
        ("soname=Белова", "text/plain", 415),
    ],
)
def test_a_body_that_is_not_a_json_object_never_500(w, raw, content_type, status):
    response = post(CHECK, raw=raw, content_type=content_type)
    assert response.status_code == status, response.content
    if status == 422:
        assert response.json()["result_code"] == "VAL01"
    else:
        assert_envelope(response, status)
    assert not EnrolmentVerification.objects.exists()


def test_a_form_encoded_body_is_read_as_the_json_one(w):
    body = urlencode({**CHILD, "operator_id": w.vorkuta.region_id})
    response = post(CHECK, raw=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response.json()["data"]["count"] == 2


def test_get_is_not_offered(w):
    assert_envelope(get(CHECK), 405)
    assert_envelope(get(VERIFY), 405)


# -------------------------------------------------------------------------------- limits


def test_the_checks_address_limit_applies_with_retry_after(w, settings):
    limits(settings, enrolment_check_ip="2/3600")
    assert start(w).status_code == 200
    assert start(w, {"soname": "Никто", "name": "Никак", "number": "0000"}).status_code == 200
    refused = start(w)
    body = assert_envelope(refused, 429)
    assert "Слишком много попыток" in body["message"]
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Робототехника" not in refused.content.decode()
    # Another address is not held back; the refusal is on the check's record; no token.
    assert (
        post(CHECK, {**CHILD, "operator_id": w.vorkuta.region_id}, ip="198.51.100.9").status_code
        == 200
    )
    outcomes = [
        r.details["outcome"] for r in ActionLog.objects.filter(action=CHECKED).order_by("pk")
    ]
    assert outcomes == ["found", "unknown", "refused", "found"]
    assert EnrolmentVerification.objects.count() == 3


def test_the_checks_name_limit_stops_guessing_from_many_addresses(w, settings):
    limits(settings, enrolment_check_name="2/86400")
    for n, number in enumerate(("0001", "0002")):
        response = post(
            CHECK,
            {**CHILD, "number": number, "operator_id": w.vorkuta.region_id},
            ip=f"192.0.2.{n}",
        )
        assert response.json()["data"]["count"] == 0
    refused = post(CHECK, {**CHILD, "operator_id": w.vorkuta.region_id}, ip="192.0.2.200")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 3600
    assert "Робототехника" not in refused.content.decode()


def test_letters_are_capped_per_email_per_check_and_per_address(w, settings, mailoutbox):
    limits(settings, enrolment_verify_email="2/86400", enrolment_verify_check="2/86400")
    first, second, third = (started(w)["confirm_token"] for _ in range(3))
    assert verify(first).status_code == 200
    assert verify(second).status_code == 200
    refused = verify(third)  # a third letter to the same box in a day
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 3600
    assert verify(third, email="other@example.ru").status_code == 200
    # One check mails at most twice (a typo fixed once), whatever the address.
    assert verify(first, email="third@example.ru").status_code == 200
    assert verify(first, email="fourth@example.ru").status_code == 429
    limits(settings, enrolment_verify_ip="1/3600")
    fourth, fifth = (started(w)["confirm_token"] for _ in range(2))
    assert verify(fourth, email="fifth@example.ru", ip="198.51.100.50").status_code == 200
    assert verify(fifth, email="sixth@example.ru", ip="198.51.100.50").status_code == 429
    outcomes = [
        r.details["outcome"]
        for r in ActionLog.objects.filter(action=verification.MAILED).order_by("pk")
    ]
    assert outcomes == ["sent", "sent", "refused", "sent", "sent", "refused", "sent", "refused"]


# --------------------------------------------------------------------------- the letter


def test_the_letter_goes_once_after_the_commit_and_its_key_is_kept_hashed(
    w, settings, mailoutbox, django_capture_on_commit_callbacks
):
    token = started(w)["confirm_token"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = verify(token, fakes=[1], yanao=1)
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"email_sent": True, "fakes_count": 1}
    assert mailoutbox == [] and len(callbacks) == 1  # nothing before the commit
    callbacks[0]()
    assert len(mailoutbox) == 1
    letter = mailoutbox[0]
    assert letter.to == [EMAIL] and "Подтвердите адрес почты" in letter.subject
    raw = letter_token(letter)
    site = settings.SITE_URL.rstrip("/")  # no portal address configured for the region
    assert f"{site}/enrollments/confirm-email/{raw}" in letter.body
    for name in ("Белова", "Мария", "Ольга", "4321", "Робототехника"):
        assert name not in letter.body, name
    row = EnrolmentVerification.objects.get()
    assert row.state == EnrolmentVerification.State.EMAIL_SENT
    assert row.email_token_hash == sha(raw) and row.fakes == [1] and row.reported_fakes == 1
    # The link is a key: not in the outbox, not in the rows, not in the history.
    assert not Notification.objects.filter(body__contains=raw).exists()
    assert not Notification.objects.filter(email=EMAIL).exists()
    text = rows_text()
    for secret in (raw, token, *NAMES):
        assert secret not in text, secret


def test_the_letter_links_to_the_regions_portal(
    w, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from pfdo.content.models import PortalSettings

    PortalSettings.objects.create(
        region_id=w.vorkuta.region_id, site_url="https://portal.example.ru/"
    )
    _token, raw = mailed(w, django_capture_on_commit_callbacks)
    assert f"https://portal.example.ru/enrollments/confirm-email/{raw}" in mailoutbox[-1].body
    settings.PFDO_COMPAT_CONFIRM_EMAIL_URL = "https://kids.example.ru/confirm?t={token}"
    token = started(w)["confirm_token"]
    with django_capture_on_commit_callbacks(execute=True):
        assert verify(token).status_code == 200
    assert re.search(r"https://kids\.example\.ru/confirm\?t=[\w-]{43}\b", mailoutbox[-1].body)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@" + "b" * 250 + ".ru"}, "email"),
        ({"yanao": 2}, "yanao"),
        ({"record_marks": [{"id": 3, "fake": True}]}, "record_marks"),
        ({"record_marks": [{"id": "x", "fake": True}]}, "record_marks"),
        ({"record_marks": "1"}, "record_marks"),
        ({"soname": ""}, "soname"),
        ({"confirm_token": None}, "confirm_token"),
    ],
)
def test_bad_verify_fields_are_422_and_no_letter(w, mailoutbox, extra, field):
    token = started(w)["confirm_token"]
    body = {"confirm_token": token, **PARENT, "email": EMAIL, **extra}
    response = post(VERIFY, body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert mailoutbox == []
    assert EnrolmentVerification.objects.get().state == EnrolmentVerification.State.CHECKED


def test_an_unknown_check_cannot_mail_anyone(w, mailoutbox):
    response = verify("x" * 43)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"confirm_token"}
    idle = started(w, {"soname": "Орлова", "name": "Мария", "number": "1111"})
    # A check that found nothing has nothing to mark.
    marked = verify(idle["confirm_token"], fakes=[1])
    assert marked.status_code == 422 and "record_marks" in marked.json()["errors"]
    assert mailoutbox == []
    assert [r.details["outcome"] for r in ActionLog.objects.filter(action=verification.MAILED)] == [
        "unknown"
    ]


# ------------------------------------------------------------------------ the confirmation


def test_confirming_reports_the_unknown_enrolments_to_the_operators_once(
    w, mailoutbox, django_capture_on_commit_callbacks
):
    other_municipality_operator = make_user("operator", municipality=w.inta)
    before = set(Notification.objects.values_list("pk", flat=True))
    data = started(w)
    robots = next(m["id"] for m in data["record_marks"] if m["program_name"] == "Робототехника")
    token = data["confirm_token"]
    with django_capture_on_commit_callbacks(execute=True):
        assert verify(token, fakes=[robots]).status_code == 200
    raw = letter_token(mailoutbox[-1])
    letters = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        first = confirm(raw)
    assert first.status_code == 200, first.content
    assert first.json()["data"] == {"confirmed": True, "fakes_count": 1}
    row = EnrolmentVerification.objects.get(token_hash=sha(token))
    assert row.state == EnrolmentVerification.State.CONFIRMED and row.email_confirmed_at
    notes = list(Notification.objects.exclude(pk__in=before))
    assert [n.user_id for n in notes] == [w.operator.pk]
    note = notes[0]
    assert f"№{row.pk}" in note.subject
    assert "Робототехника" in note.body and "ООО «Робо-Арктика»" in note.body
    assert w.active.starts_on.strftime("%d.%m.%Y") in note.body
    assert f"/cabinet/operator/contracts/{w.active.pk}/" in note.body
    assert "Шахматы" not in note.body  # the family knows of that one
    for name in ("Белова", "Мария", "Ольга", "4321", EMAIL, w.maria.child.document_number):
        assert name not in note.body and name not in note.subject, name
    assert other_municipality_operator.notifications.count() == 0
    # The operator's letter goes through the outbox; the family's went once.
    assert len(mailoutbox) == letters + (1 if w.operator.email else 0)
    # A second confirmation: the same answer, nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        again = confirm(raw)
    assert again.status_code == 200 and again.json() == first.json()
    assert Notification.objects.exclude(pk__in=before).count() == 1
    assert len(mailoutbox) == letters + (1 if w.operator.email else 0)
    confirmed = ActionLog.objects.filter(action=verification.CONFIRMED)
    assert [(r.details["fakes"], r.details["operators"]) for r in confirmed] == [(1, 1)]
    assert [r.municipality_id for r in confirmed] == [w.vorkuta.pk]
    # After confirmation the check takes no new letter.
    assert verify(token, email="else@example.ru").status_code == 422
    text = rows_text()
    for secret in (raw, token, *NAMES):
        assert secret not in text, secret


def test_confirming_without_unknown_enrolments_tells_nobody(
    w, mailoutbox, django_capture_on_commit_callbacks
):
    before = Notification.objects.count()
    _token, raw = mailed(w, django_capture_on_commit_callbacks, fakes=())
    assert confirm(raw).json()["data"] == {"confirmed": True, "fakes_count": 0}
    assert Notification.objects.count() == before


def test_a_new_letter_voids_the_earlier_link(w, mailoutbox, django_capture_on_commit_callbacks):
    token, old = mailed(w, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert verify(token, email="fixed@example.ru").status_code == 200
    new = letter_token(mailoutbox[-1])
    assert_envelope(confirm(old), 404)
    assert confirm(new).status_code == 200


@pytest.mark.parametrize("token", ["x" * 43, "short", "a" * 101, "Белова", "%00" * 20])
def test_an_unknown_letter_token_is_404(w, token):
    before = Notification.objects.count()
    assert_envelope(confirm(token), 404)
    assert Notification.objects.count() == before


def test_the_check_token_is_not_the_letter_token(w, mailoutbox, django_capture_on_commit_callbacks):
    before = Notification.objects.count()
    token, _raw = mailed(w, django_capture_on_commit_callbacks)
    # Knowing the check's token does not confirm a mailbox.
    assert_envelope(confirm(token), 404)
    assert Notification.objects.count() == before


# ---------------------------------------------------------------------------- statistics


def test_statistics_count_the_regions_confirmed_checks(
    w, mailoutbox, django_capture_on_commit_callbacks
):
    token = started(w)["confirm_token"]
    path = f"enrollment-verification/statistics/{token}"
    assert get(path).json()["data"] == [
        {"certificates_verified_count": 0, "certificates_with_fakes_count": 0}
    ]
    _t, with_fake = mailed(w, django_capture_on_commit_callbacks, fakes=(1,))
    _t, without = mailed(w, django_capture_on_commit_callbacks, fakes=())
    _t, unconfirmed = mailed(w, django_capture_on_commit_callbacks, fakes=(2,))
    confirm(with_fake)
    confirm(without)
    # Another region's confirmed check is not counted.
    other = EnrolmentVerification.objects.get(email_token_hash=sha(unconfirmed))
    other_region = EnrolmentVerification.objects.create(
        region=RegionFactory(),
        token_hash=sha("another"),
        expires_at=other.expires_at,
        state=EnrolmentVerification.State.CONFIRMED,
        reported_fakes=3,
    )
    response = get(path)
    assert response.status_code == 200
    assert response.json()["data"] == [
        {"certificates_verified_count": 2, "certificates_with_fakes_count": 1}
    ]
    assert other_region.pk
    recorded = ActionLog.objects.filter(action=verification.STATISTICS)
    assert recorded.count() == 2 and all(
        r.details == {"region": w.vorkuta.region_id} for r in recorded
    )


@pytest.mark.parametrize("token", ["x" * 43, "nope", "a" * 120])
def test_statistics_of_an_unknown_token_is_404(w, token):
    assert_envelope(get(f"enrollment-verification/statistics/{token}"), 404)


def test_the_letter_token_does_not_open_statistics(
    w, mailoutbox, django_capture_on_commit_callbacks
):
    _token, raw = mailed(w, django_capture_on_commit_callbacks)
    assert_envelope(get(f"enrollment-verification/statistics/{raw}"), 404)


# -------------------------------------------------------------------------------- expiry


def test_after_24_hours_every_token_is_dead_and_the_sweep_deletes_the_unconfirmed(
    w, mailoutbox, django_capture_on_commit_callbacks
):
    confirmed_token, confirmed_raw = mailed(w, django_capture_on_commit_callbacks)
    assert confirm(confirmed_raw).status_code == 200
    token, raw = mailed(w, django_capture_on_commit_callbacks)
    fresh = started(w)["confirm_token"]
    later = clock.now() + dt.timedelta(hours=24, seconds=1)
    with clock.frozen(later):
        assert verify(fresh).status_code == 422
        assert_envelope(confirm(raw), 404)
        assert_envelope(get(f"enrollment-verification/statistics/{token}"), 404)
        assert_envelope(get(f"enrollment-verification/statistics/{confirmed_token}"), 404)
        # A confirmation repeated after the expiry: the link is dead too.
        assert_envelope(confirm(confirmed_raw), 404)
        assert EnrolmentVerification.objects.count() == 3
        assert tasks.sweep_enrolment_verifications.delay().get() == 2
    kept = EnrolmentVerification.objects.get()
    assert kept.token_hash == sha(confirmed_token) and kept.email_hash == ""
    assert kept.state == EnrolmentVerification.State.CONFIRMED and kept.reported_fakes == 1


def test_a_check_just_before_expiry_still_works(w, mailoutbox, django_capture_on_commit_callbacks):
    _token, raw = mailed(w, django_capture_on_commit_callbacks)
    with clock.frozen(clock.now() + dt.timedelta(hours=23, minutes=59)):
        assert verification.sweep() == 0
        assert confirm(raw).status_code == 200


# --------------------------------------------------------------------------- the record


def test_every_step_is_recorded_without_names_digits_email_or_tokens(
    w, mailoutbox, django_capture_on_commit_callbacks
):
    token, raw = mailed(w, django_capture_on_commit_callbacks)
    confirm(raw)
    get(f"enrollment-verification/statistics/{token}")
    row = EnrolmentVerification.objects.get()
    steps = ActionLog.objects.filter(action__startswith="compat.").order_by("pk")
    assert [(s.action, s.object_id) for s in steps] == [
        (verification.STARTED, str(row.pk)),
        (verification.MAILED, str(row.pk)),
        (verification.CONFIRMED, str(row.pk)),
        (verification.STATISTICS, str(row.pk)),
    ]
    assert {s.ip for s in steps} == {IP} and {s.actor_id for s in steps} == {None}
    assert steps[0].details == {"region": w.vorkuta.region_id, "shown": 2}
    text = rows_text()
    for secret in (raw, token, *NAMES):
        assert secret not in text, secret
    from pfdo.audit.labels import ACTION_LABELS

    assert all(s.action in ACTION_LABELS for s in steps)


def test_the_operator_sees_the_report_of_their_municipality_only(
    w, mailoutbox, django_capture_on_commit_callbacks
):
    _token, raw = mailed(w, django_capture_on_commit_callbacks)
    confirm(raw)
    outsider = make_user("operator", municipality=w.inta)
    both = make_user("operator", municipality=w.inta)
    grant(both, "operator", municipality=w.vorkuta)
    assert EnrolmentVerification.objects.for_user(w.operator).count() == 1
    assert EnrolmentVerification.objects.for_user(outsider).count() == 0
    assert EnrolmentVerification.objects.for_user(both).count() == 1
    assert EnrolmentVerification.objects.for_user(None).count() == 0


def test_the_letters_link_opens_this_sites_page_which_confirms_only_on_the_button(
    w, mailoutbox, django_capture_on_commit_callbacks
):
    from django.test import Client

    token, raw = mailed(w, django_capture_on_commit_callbacks)
    link = next(part for part in mailoutbox[-1].body.split() if "/confirm-email/" in part)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert path == f"/enrollments/confirm-email/{raw}"
    browser = Client(REMOTE_ADDR=IP)
    shown = browser.get(path)
    assert shown.status_code == 200
    assert 'data-testid="confirm-email"' in shown.content.decode()
    row = EnrolmentVerification.objects.get(token_hash=sha(token))
    assert row.state != EnrolmentVerification.State.CONFIRMED  # opening the link is not enough
    with django_capture_on_commit_callbacks(execute=True):
        done = browser.post(path)
    assert done.status_code == 200 and 'data-testid="confirm-email-done"' in done.content.decode()
    row.refresh_from_db()
    assert row.state == EnrolmentVerification.State.CONFIRMED
    unknown = browser.post("/enrollments/confirm-email/" + "x" * 43)
    assert unknown.status_code == 404
    assert 'data-testid="confirm-email-unknown"' in unknown.content.decode()
