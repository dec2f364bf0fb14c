"""Every answer carries the Content-Security-Policy and `Cache-Control: no-store` (pages of
signed-in users, every API answer, anonymous pages too); static files keep their caching; no
template holds inline script or style the policy would block."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
ROOT = Path(settings.BASE_DIR)


def test_the_policy_is_the_documented_one():
    from pfdo.common.middleware import policy_header

    assert policy_header(settings.PFDO_CONTENT_SECURITY_POLICY) == POLICY


@pytest.mark.parametrize("path", ["/", "/catalog/", "/login/", "/api/docs/"])
def test_anonymous_pages_carry_the_policy_and_are_not_stored(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY
    assert "no-store" in response["Cache-Control"]


def test_signed_in_pages_are_never_stored(client, operator):
    client.force_login(operator)
    for path in ("/cabinet/", "/cabinet/operator/", "/cabinet/certificates/"):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "no-store", path
        assert response["Content-Security-Policy"] == POLICY, path


def test_every_api_answer_is_never_stored(api_client, operator):
    from pfdo.accounts.services import issue_api_token

    anonymous = api_client.get("/api/v1/municipalities/")
    assert anonymous.status_code == 200 and anonymous["Cache-Control"] == "no-store"
    refused = api_client.get("/api/v1/certificates/")
    assert refused.status_code == 401 and refused["Cache-Control"] == "no-store"
    _, token = issue_api_token(user=operator)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    mine = api_client.get("/api/v1/certificates/")
    assert mine.status_code == 200 and mine["Cache-Control"] == "no-store"
    assert mine["Content-Security-Policy"] == POLICY


def test_the_browsable_api_alone_may_use_inline_styles(client, operator):
    client.force_login(operator)
    page = client.get("/api/v1/municipalities/", HTTP_ACCEPT="text/html")
    assert page["Content-Type"].startswith("text/html")
    policy = page["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy  # scripts stay files only
    json = client.get("/api/v1/municipalities/", HTTP_ACCEPT="application/json")
    assert json["Content-Security-Policy"] == POLICY


def test_static_files_keep_their_caching(db):
    from django.templatetags.static import static

    response = Client().get(static("css/app.css"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "max-age" in response["Cache-Control"]


def test_the_policy_can_be_sent_report_only(client, db, settings):
    settings.PFDO_CSP_REPORT_ONLY = True
    response = client.get("/")
    assert response["Content-Security-Policy-Report-Only"] == POLICY
    assert "Content-Security-Policy" not in response


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle=", re.I), 'style="" attribute'),
    (re.compile(r"\son[a-z]+=", re.I), 'on…="" handler'),
    (re.compile(r"\shx-on", re.I), "hx-on (evaluated code)"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


COMMENTS = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)


def test_no_template_holds_what_the_policy_blocks():
    templates = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("pfdo/*/templates/**/*.html")]
    assert len(templates) > 100
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in templates
        for pattern, what in INLINE
        if pattern.search(COMMENTS.sub("", path.read_text()))
    ]
    assert not found, "\n".join(found)
