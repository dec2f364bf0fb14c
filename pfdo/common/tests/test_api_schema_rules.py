"""What the served schema says about bodies, statuses and OPTIONS is what the server does
(issue 18): required reasons, text that may not hold NUL or be blank, 405/406/415, OPTIONS on
a route without an id."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from pfdo.common.api.schema import NON_BLANK_TEXT_PATTERN, TEXT_PATTERN

# The decisions whose reason the service needs (a refusal, a suspension, a termination...).
REQUIRED_REASONS = [
    "/api/v1/advance-requests/{id}/reject/",
    "/api/v1/applications/{id}/reject/",
    "/api/v1/bank-details-changes/{id}/reject/",
    "/api/v1/certificate-applications/{id}/reject/",
    "/api/v1/certificates/{id}/cancel/",
    "/api/v1/certificates/{id}/suspend/",
    "/api/v1/contracts/{id}/terminate/",
    "/api/v1/invoices/{id}/reject/",
    "/api/v1/programs/{id}/reject-certification/",
    "/api/v1/providers/{id}/exclude/",
    "/api/v1/providers/{id}/needs-check/",
    "/api/v1/providers/{id}/reject/",
    "/api/v1/ratings/{id}/hide/",
]
OPTIONAL_REASONS = [
    "/api/v1/certificates/{id}/reactivate/",
    "/api/v1/providers/{id}/include/",
    "/api/v1/providers/{id}/reinstate/",
    "/api/v1/lessons/{id}/cancel/",
]


@pytest.fixture(scope="module")
def served(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def _body(raw: dict, path: str) -> dict:
    content = raw["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    ref = content["schema"]["$ref"].rsplit("/", 1)[-1]
    return raw["components"]["schemas"][ref]


@pytest.mark.parametrize("path", REQUIRED_REASONS)
def test_a_required_reason_is_required_and_not_blank_in_the_schema(served, path):
    body = _body(served, path)
    assert "reason" in body.get("required", []), path
    reason = body["properties"]["reason"]
    assert reason["minLength"] == 1
    assert reason["pattern"] == NON_BLANK_TEXT_PATTERN


@pytest.mark.parametrize("path", OPTIONAL_REASONS)
def test_an_optional_reason_stays_optional(served, path):
    body = _body(served, path)
    assert "reason" not in body.get("required", [])
    assert body["properties"]["reason"]["pattern"] == TEXT_PATTERN


def test_the_text_patterns_say_what_drf_does():
    blank_ok, non_blank = re.compile(TEXT_PATTERN), re.compile(NON_BLANK_TEXT_PATTERN)
    assert blank_ok.search("") and blank_ok.search("  Переезд ")
    assert not blank_ok.search("a\x00b")
    assert non_blank.search(" x ") and non_blank.search("Переезд")
    # DRF strips a field that may not be blank: whitespace alone is blank, NUL is refused.
    for refused in ("", "   ", "\t\n", "\u2003", "ok\x00"):
        assert not non_blank.search(refused), repr(refused)


@pytest.fixture
def suspension(make_user, vorkuta, db):
    """(the operator's client, a certificate, the URL that suspends it)."""
    from pfdo.certificates.tests.factories import approved_period, issue_certificate

    operator = make_user("operator", municipality=vorkuta)
    approved_period(vorkuta)
    parent = make_user("parent", municipality=vorkuta)
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    client = APIClient()
    client.force_authenticate(operator)
    return client, certificate, f"/api/v1/certificates/{certificate.pk}/suspend/"


def test_a_blank_or_nul_reason_is_refused_with_the_field(suspension):
    client, _certificate, url = suspension
    for reason in (None, "", "   ", "Проверка\x00"):
        body = {} if reason is None else {"reason": reason}
        response = client.post(url, body, format="json")
        assert response.status_code == 400, (reason, response.content)
        assert set(response.json()["error"]["fields"]) == {"reason"}
    response = client.post(url, {"reason": "Проверка документов"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "suspended"


def test_text_takes_a_json_string_and_nothing_else(suspension):
    """A number or a boolean where the schema says string is refused with the field, for a
    declared text field and a model-made one alike; the same text as a string is taken."""
    client, certificate, url = suspension
    for reason in (12345, 1.5, True, ["Проверка"]):
        response = client.post(url, {"reason": reason}, format="json")
        assert response.status_code == 400, (reason, response.content)
        assert set(response.json()["error"]["fields"]) == {"reason"}
    certificate.refresh_from_db()
    assert certificate.status == "active"
    response = client.post(url, {"reason": "12345"}, format="json")
    assert response.status_code == 200, response.content

    # A field a ModelSerializer makes from a model's CharField follows the same rule.
    from django.contrib.auth import get_user_model
    from rest_framework import serializers

    class NameSerializer(serializers.ModelSerializer):
        class Meta:
            model = get_user_model()
            fields = ["first_name"]

    assert not NameSerializer(data={"first_name": 5}).is_valid()
    assert NameSerializer(data={"first_name": "5"}).is_valid()


def test_405_406_415_are_declared_and_answered_with_the_error_body(served, make_user, db):
    token = served["paths"]["/api/v1/auth/token/"]
    assert {"405", "406", "415"} <= set(token["post"]["responses"])
    assert {"405", "406"} <= set(served["paths"]["/api/v1/regions/"]["get"]["responses"])
    assert "415" not in served["paths"]["/api/v1/regions/"]["get"]["responses"]
    client = APIClient()
    answers = {
        405: client.put("/api/v1/auth/token/", {}, format="json"),
        406: client.get("/api/v1/regions/", HTTP_ACCEPT="text/csv"),
        415: client.post("/api/v1/auth/token/", "login=x", content_type="text/plain"),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.content)
        assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert "POST" in answers[405]["Allow"]


def test_options_describes_a_route_without_an_id(make_user, db):
    client = APIClient()
    client.force_authenticate(make_user("expert"))
    response = client.options("/api/v1/content/expert-profiles/me/")
    assert response.status_code == 200, response.content
    assert {"GET", "PUT"} <= {m.strip() for m in response["Allow"].split(",")}
    assert "region" in response.json()["actions"]["PUT"]


def test_the_schema_is_built_once_and_forgotten_when_a_setting_changes(db, monkeypatch, settings):
    from drf_spectacular.generators import SchemaGenerator

    from pfdo.common.api import schema_view

    built = []
    real = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        built.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    schema_view._forget()
    first = APIClient().get("/api/schema/?format=json")
    second = APIClient().get("/api/schema/?format=json")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and len(built) == 1
    settings.PFDO_IDEMPOTENCY_TTL_HOURS = 12  # any changed setting: built afresh
    assert APIClient().get("/api/schema/?format=json").status_code == 200
    assert len(built) == 2


def test_the_schema_is_rendered_once_per_format_and_served_as_rendered(db, monkeypatch):
    from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer

    from pfdo.common.api import schema_view

    rendered = []
    for renderer in (OpenApiJsonRenderer, OpenApiYamlRenderer):
        real = renderer.render

        def counting(self, *args, _real=real, **kwargs):
            rendered.append(type(self).__name__)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(renderer, "render", counting)
    schema_view._forget()
    answers = [APIClient().get(f"/api/schema/?format={f}") for f in ("json", "json", "yaml")]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert rendered == ["OpenApiJsonRenderer", "OpenApiYamlRenderer"]
    first, second, yaml = answers
    assert first.content == second.content
    assert first["Content-Type"] == second["Content-Type"]
    assert first["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert "+json" not in yaml["Content-Type"]
    assert yaml.content.startswith(b"openapi:")
    assert second.json()["openapi"].startswith("3.")
    assert second["Content-Disposition"] == first["Content-Disposition"]
    schema_view._forget()
    APIClient().get("/api/schema/?format=json")
    assert rendered[-1] == "OpenApiJsonRenderer" and len(rendered) == 3
