"""What the enrolment API tests share: the day they run on, the expected shapes, helpers."""

from __future__ import annotations

import datetime as dt

from pfdo.certificates import selectors as certificate_selectors
from pfdo.enrolment import services

TODAY = dt.date(2026, 11, 28)
NOMINAL = 2_417_100
# 28 Nov 2026 – 31 May 2027 of a 9-month group at 18 000 ₽: 7 months, 14 000 ₽.
PRICE_7 = 1_800_000 * 7 // 9
APPLICATIONS = "/api/v1/applications/"
CONTRACTS = "/api/v1/contracts/"
TERMS = "/api/v1/applications/terms/"
CHILD_KEYS = {"id", "name", "age_years"}
APPLICATION_KEYS = {
    "id",
    "child",
    "certificate_number",
    "group",
    "provider",
    "channel",
    "channel_display",
    "status",
    "status_display",
    "reason",
    "copay_agreed",
    "created_at",
    "decide_by",
    "waitlist_position",
    "contract",
    "code_attempts_left",
    "code_voided_at",
}
CONTRACT_KEYS = {
    "id",
    "number",
    "application",
    "status",
    "status_display",
    "child",
    "certificate_number",
    "group",
    "provider",
    "period",
    "funding",
    "funding_display",
    "starts_on",
    "ends_on",
    "price_kopecks",
    "normative_kopecks",
    "certificate_kopecks",
    "copay_kopecks",
    "offered_at",
    "offer_expires_at",
    "accepted_at",
    "ended_at",
    "terminated_by",
    "terminated_by_display",
    "termination_reason",
    "months",
    "continuation",  # issue 12: a pending offer to continue on worse terms, or null
}


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def apply_body(fam, group, **extra):
    return {"certificate": str(fam.certificate.pk), "group": group.pk, **extra}


def reserved(fam, period):
    return certificate_selectors.balance(fam.certificate, period).reserved_kopecks


def offered(fam, group, staff):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    return services.confirm(actor=staff, application=application)
