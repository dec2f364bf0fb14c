"""A period's quota and budget once contracts exist: raised at any time (audited, the ledger
funds the increase), lowered only down to what is committed — service, page and API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from pfdo.audit.models import ActionLog
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import Certificate, SwitchRequest
from pfdo.certificates.tests.factories import approved_period, issue_certificate
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.financing import services
from pfdo.financing.tests.test_views import form_data
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import budget_account_of, period_funding, verify_ledger

pytestmark = pytest.mark.django_db

NOMINAL = 2_417_100
TODAY = dt.date(2026, 10, 1)


@pytest.fixture
def today():
    with clock.frozen(TODAY):
        yield


def issue(vorkuta, operator, name):
    parent = certificate_services.register_parent(
        actor=None, municipality=vorkuta, last_name="Петрова", first_name=name
    )
    return issue_certificate(operator=operator, municipality=vorkuta, parent=parent).certificate


@pytest.fixture
def full(vorkuta, operator, today):
    """Quota 2, budget 2 nominals, both places taken (the period locked); a third family waits
    to switch."""
    period = approved_period(vorkuta, quota=2)
    taken = [issue(vorkuta, operator, n) for n in ("Анна", "Вера")]
    waiting = issue(vorkuta, operator, "Галина")
    assert waiting.type == Certificate.Type.ACCOUNTING
    request = certificate_services.request_switch(
        actor=waiting.child.guardians.get(), certificate=waiting
    )
    period.refresh_from_db()
    assert period.is_locked and request.status == SwitchRequest.Status.WAITING
    return period, taken, waiting, request


def fields_of(excinfo) -> dict:
    return excinfo.value.fields


def test_year_15_quota_and_budget_raised_and_lowered_to_committed(operator, full):
    period, taken, waiting, request = full
    # Raising both at once: allowed, audited, the increase funded, the queue served.
    services.update_period(
        actor=operator, period=period, certificate_quota=3, budget_kopecks=3 * NOMINAL
    )
    period.refresh_from_db()
    assert (period.certificate_quota, period.budget_kopecks) == (3, 3 * NOMINAL)
    assert period_funding(period) == (3 * NOMINAL, 2)
    raise_fund = Transfer.objects.get(key=f"fund:p{period.pk}:n1:t{3 * NOMINAL}")
    assert raise_fund.amount_kopecks == NOMINAL
    changes = ActionLog.objects.filter(action="financing.period_updated").latest("pk")
    assert changes.details["changes"]["certificate_quota"] == {"old": 2, "new": 3}
    request.refresh_from_db()
    waiting.refresh_from_db()
    assert request.status == SwitchRequest.Status.FULFILLED
    assert waiting.type == Certificate.Type.FINANCING
    assert budget_account_of(period).available_kopecks == 0

    # Lowering below what is committed: three places used, three nominals granted. The values
    # are well-formed; what is committed refuses them (409, as a locked field).
    with pytest.raises(Conflict) as excinfo:
        services.update_period(
            actor=operator, period=period, certificate_quota=2, budget_kopecks=2 * NOMINAL
        )
    assert (excinfo.value.status, excinfo.value.code) == (409, "below_commitments")
    fields = fields_of(excinfo)
    assert set(fields) == {"certificate_quota", "budget_kopecks"}
    assert "до числа уже занятых мест" in fields["certificate_quota"][0]
    assert "3" in fields["certificate_quota"][0]
    assert "72 513,00" in fields["budget_kopecks"][0].replace("\xa0", " ")
    period.refresh_from_db()
    assert (period.certificate_quota, period.budget_kopecks) == (3, 3 * NOMINAL)

    # A cancelled certificate frees its place and returns its nominal: now both may go down.
    certificate_services.cancel_certificate(actor=operator, certificate=taken[0], reason="Переезд")
    services.update_period(
        actor=operator, period=period, certificate_quota=2, budget_kopecks=2 * NOMINAL
    )
    assert period_funding(period) == (2 * NOMINAL, 3)
    lowered = Transfer.objects.get(key=f"fund:p{period.pk}:n2:t{2 * NOMINAL}")
    assert (lowered.kind, lowered.amount_kopecks) == (Transfer.Kind.ADJUST, NOMINAL)
    assert budget_account_of(period).available_kopecks == 0
    # Raised again to the same total later: its own key, no collision.
    services.update_period(
        actor=operator, period=period, certificate_quota=3, budget_kopecks=3 * NOMINAL
    )
    assert period_funding(period) == (3 * NOMINAL, 4)
    assert verify_ledger() == []


def test_other_money_fields_stay_locked(operator, full):
    period, *_ = full
    with pytest.raises(Conflict) as excinfo:
        services.update_period(
            actor=operator, period=period, certificate_quota=5, advance_share_percent=50
        )
    assert list(fields_of(excinfo)) == ["advance_share_percent"]


def test_period_form_lets_the_quota_and_budget_change(client, operator, full):
    period, *_ = full
    client.force_login(operator)
    url = reverse("financing:period_edit", args=[period.pk])
    page = client.get(url).content.decode()
    assert not re.search(r'name="certificate_quota"[^>]*disabled', page)
    assert not re.search(r'name="budget_kopecks"[^>]*disabled', page)
    assert re.search(r'name="advance_share_percent"[^>]*disabled', page)
    assert "уменьшить — не ниже числа занятых мест (2)" in page

    response = client.post(url, form_data(certificate_quota="1", budget_kopecks="48 342,00"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Квоту можно уменьшить только до числа уже занятых мест" in page
    period.refresh_from_db()
    assert period.certificate_quota == 2

    response = client.post(url, form_data(certificate_quota="3", budget_kopecks="72 513,00"))
    assert response.status_code == 302
    period.refresh_from_db()
    assert (period.certificate_quota, period.budget_kopecks) == (3, 3 * NOMINAL)


def test_api_amends_the_quota_and_budget_with_field_errors(api_client, operator, full):
    period, *_ = full
    api_client.force_authenticate(operator)
    url = f"/api/v1/financing-periods/{period.pk}/"
    response = api_client.patch(url, {"certificate_quota": 1}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "below_commitments"
    assert error["message"] == "Квоту и бюджет нельзя уменьшить ниже уже принятых обязательств."
    assert list(error["fields"]) == ["certificate_quota"]
    assert "до числа уже занятых мест" in error["fields"]["certificate_quota"][0]

    response = api_client.patch(
        url, {"certificate_quota": 4, "budget_kopecks": 4 * NOMINAL}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["certificate_quota"], response.json()["budget_kopecks"]) == (
        4,
        4 * NOMINAL,
    )
    assert period_funding(period) == (4 * NOMINAL, 2)
