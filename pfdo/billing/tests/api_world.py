"""The world of the billing API tests: provider P with family A, provider Q with family B,
the payer, each provider's staff: the constants and helpers the API test modules share.

The fixtures (`w`, `as_user`, `api_today`) are in this package's conftest."""

from __future__ import annotations

import datetime as dt

from pfdo.billing import services
from pfdo.billing.models import Lesson
from pfdo.common import clock

TODAY = dt.date(2026, 11, 10)  # a Tuesday; the group meets on Tuesdays
OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
MONTHLY = 200_000  # 18 000 ₽ over nine months, the certificate part of one month
ADVANCE = 160_000  # 80 % of it

LESSONS = "/api/v1/lessons/"
ATTENDANCE = "/api/v1/attendance/"
ADVANCES = "/api/v1/advance-requests/"
INVOICES = "/api/v1/invoices/"
PAYMENTS = "/api/v1/payments/"
RUN = "/api/v1/billing/run/"
RECONCILIATION = "/api/v1/billing/reconciliation/"


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


def lessons_of(w, month=NOV):
    return services.ensure_lessons(group=w.group, month=month)


def lesson_on(w, day: dt.date) -> Lesson:
    return next(lesson for lesson in lessons_of(w, day.replace(day=1)) if lesson.held_on == day)


def october_advance(w, *, accept=True):
    with clock.frozen(dt.date(2026, 10, 5)):
        advance = services.build_advance(actor=w.staff, provider=w.provider, month=OCT)
        if accept:
            services.submit_advance(actor=w.staff, advance=advance)
            advance = services.accept_advance(actor=w.payer, advance=advance)
    return advance


def accepted_invoice(w):
    invoice = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
    services.submit_invoice(actor=w.staff, invoice=invoice)
    return services.accept_invoice(actor=w.payer, invoice=invoice)
