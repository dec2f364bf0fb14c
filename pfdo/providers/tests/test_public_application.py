"""Issue 13 (items 3 and 4), the provider application: the public form and the anonymous API
answer alike whether the ИНН is new or already in the municipality's registry, the
organisation on file gets a letter, the operator sees the duplicate flagged and rejects it
with one click; the form and the API are limited per client address and per ИНН (429 with
Retry-After, a row in the action history)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from pfdo.audit.models import ActionLog
from pfdo.common.ratelimit import wait_text
from pfdo.providers import services
from pfdo.providers.models import Provider
from pfdo.providers.tests.factories import ProviderFactory, add_staff, org_profile

pytestmark = pytest.mark.django_db

APPLY = reverse("providers:apply")
DONE = reverse("providers:apply_done")
REGISTRY = reverse("providers:registry")
URL = "/api/v1/providers/"
Status = Provider.Status


@pytest.fixture
def on_file(vorkuta):
    """An organisation whose application waits (not public yet), with its admin."""
    provider = ProviderFactory(municipality=vorkuta, status=Status.UNDER_REVIEW)
    add_staff(provider, is_admin=True)
    mail.outbox.clear()
    return provider


def page_post(vorkuta, login: str, **card) -> dict:
    return {
        **org_profile(**card),
        "municipality": vorkuta.pk,
        "staff_last_name": "Морозов",
        "staff_first_name": "Дмитрий",
        "staff_email": f"{login}@example.org",
        "staff_login": login,
        "staff_password": "Polar-Code-2026",
        "staff_password2": "Polar-Code-2026",
        "confirm": "on",
    }


def api_post(login: str, **card) -> dict:
    return {
        "municipality": "vorkuta",
        **org_profile(**card),
        "staff_login": login,
        "staff_password": "Polar-Code-2026",
        "staff_last_name": "Морозов",
        "staff_first_name": "Дмитрий",
        "staff_email": f"{login}@example.org",
    }


def _answer(client, data, capture) -> tuple:
    with capture(execute=True):
        response = client.post(APPLY, data)
    page = client.get(DONE).content.decode()
    page = page.replace(data["staff_login"], "LOGIN").replace(data["short_name"], "NAME")
    page = re.sub(r'"X-CSRFToken": "[^"]*"', "", page)
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return response.status_code, response.get("Location"), page


def test_the_form_answers_alike_and_the_organisation_on_file_gets_a_letter(
    client, vorkuta, on_file, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    new = _answer(client, page_post(vorkuta, "new-admin"), capture)
    known = _answer(client, page_post(vorkuta, "dup-admin", inn=on_file.inn), capture)
    assert new[:2] == (302, DONE)
    assert known == new
    assert on_file.short_name not in known[2] and "уже есть в реестре" not in known[2]

    duplicate = Provider.objects.get(staff__user__username="dup-admin")
    assert duplicate.status == Status.UNDER_REVIEW
    assert duplicate.duplicate_reason.startswith(
        f"ИНН {on_file.inn} уже у поставщика «{on_file.short_name}» (на рассмотрении"
    )
    assert not Provider.objects.get(staff__user__username="new-admin").duplicate_reason
    # The organisation on file: its admin (cabinet and e-mail) and the card's address.
    admin = on_file.staff.get(is_admin=True).user
    letters = {m.to[0]: m for m in mail.outbox}
    assert set(letters) == {admin.email, on_file.email}
    for letter in letters.values():
        assert letter.subject == "Подана заявка на включение в реестр с ИНН вашей организации"
        assert "не подавали" in letter.body
    assert admin.notifications.count() == 1


def test_operator_sees_the_flag_and_rejects_the_duplicate_with_one_click(
    client, vorkuta, on_file, operator, django_capture_on_commit_callbacks
):
    client.post(APPLY, page_post(vorkuta, "dup-admin", inn=on_file.inn))
    duplicate = Provider.objects.get(staff__user__username="dup-admin")
    one_click = reverse("providers:reject_duplicate", args=[duplicate.pk])
    client.force_login(operator)
    registry = client.get(f"{REGISTRY}?status=under_review").content.decode()
    assert 'data-testid="duplicate-reason"' in registry and one_click in registry
    card = client.get(reverse("providers:operator_detail", args=[duplicate.pk])).content.decode()
    assert duplicate.duplicate_reason in card and one_click in card
    assert "Включить в реестр" not in card
    # Included by hand? Refused: the organisation on file holds the ИНН.
    client.post(reverse("providers:decide", args=[duplicate.pk, "include"]), {"reason": ""})
    duplicate.refresh_from_db()
    assert duplicate.status == Status.UNDER_REVIEW

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(one_click)
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == Status.REJECTED
    assert duplicate.status_reason == services.DUPLICATE_REJECTION
    (told,) = [m for m in mail.outbox if m.to == ["dup-admin@example.org"]]
    assert services.DUPLICATE_REJECTION in told.body and on_file.short_name not in told.body
    on_file.refresh_from_db()
    assert on_file.status == Status.UNDER_REVIEW
    assert ActionLog.objects.filter(action="providers.rejected", object_id=str(duplicate.pk))


def test_api_answers_alike_and_only_officials_see_the_flag(api_client, vorkuta, on_file, operator):
    new = api_client.post(URL, api_post("api-new"), format="json")
    dup = api_client.post(URL, api_post("api-dup", inn=on_file.inn), format="json")
    assert new.status_code == dup.status_code == 201, dup.content
    assert set(new.json()) == set(dup.json())
    assert new.json()["status"] == dup.json()["status"] == "under_review"
    assert dup.json()["duplicate_reason"] is None and dup.json()["confidential"] is None

    api_client.force_authenticate(operator)
    seen = api_client.get(f"{URL}{dup.json()['id']}/").json()
    assert seen["duplicate_reason"].startswith(f"ИНН {on_file.inn} уже у поставщика")
    refused = api_client.post(f"{URL}{new.json()['id']}/reject-duplicate/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_duplicate"
    include = api_client.post(f"{URL}{dup.json()['id']}/include/", {}, format="json")
    assert include.status_code == 409 and include.json()["error"]["code"] == "duplicate_provider"
    rejected = api_client.post(f"{URL}{dup.json()['id']}/reject-duplicate/")
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["status"] == "rejected"


# ---------------------------------------------------------------------------- limits


def test_form_and_api_are_limited_per_address(client, api_client, vorkuta, settings):
    settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, "provider_apply_ip": "2/3600"}
    for login in ("first", "second"):
        assert client.post(APPLY, page_post(vorkuta, login)).status_code == 302
    page = client.post(APPLY, page_post(vorkuta, "third"))
    assert page.status_code == 429
    wait = int(page["Retry-After"])
    assert 0 < wait <= 3600
    assert f'data-testid="retry-after">{wait_text(wait)}<' in page.content.decode()
    api = api_client.post(URL, api_post("fourth"), format="json")
    assert api.status_code == 429 and 0 < int(api["Retry-After"]) <= 3600
    assert api.json()["error"]["code"] == "throttled"
    assert "Повторите через" in api.json()["error"]["message"]
    assert Provider.objects.count() == 2
    rows = ActionLog.objects.filter(action="rate_limited")
    assert rows.count() == 2
    for row in rows:
        assert row.ip == "127.0.0.1" and row.municipality == vorkuta
        assert row.details["limit"] == "provider_apply_ip"
    # Another address is not affected.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(APPLY, page_post(vorkuta, "fifth")).status_code == 302


def test_applications_for_one_inn_are_limited_from_any_address(client, vorkuta, settings):
    settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, "provider_apply_inn": "2/86400"}
    inn = org_profile()["inn"]
    for n in range(2):
        sent = Client(REMOTE_ADDR=f"192.0.2.{n + 1}").post(
            APPLY, page_post(vorkuta, f"inn-{n}", inn=inn)
        )
        assert sent.status_code == 302
    refused = Client(REMOTE_ADDR="192.0.2.9").post(APPLY, page_post(vorkuta, "inn-9", inn=inn))
    assert refused.status_code == 429 and refused["Retry-After"]
    row = ActionLog.objects.get(action="rate_limited")
    assert row.ip == "192.0.2.9" and row.details == {
        "limit": "provider_apply_inn",
        "scope": "inn",
        "wait_seconds": int(refused["Retry-After"]),
    }
    assert client.post(APPLY, page_post(vorkuta, "else")).status_code == 302
