"""The nightly certificate tasks (celery beat) run the services of `expire_certificates` and
`grant_period_nominals --all`; a second run the same night does nothing twice."""

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.certificates import selectors, services, tasks
from pfdo.certificates.models import Certificate
from pfdo.certificates.tests.factories import approved_period, issue_certificate
from pfdo.common import clock
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.ledger.selectors import verify_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(vorkuta, operator):
    with clock.frozen(dt.date(2026, 11, 28)):
        approved_period(vorkuta)
        parent = services.register_parent(
            actor=None, municipality=vorkuta, last_name="Иванова", first_name="Анна"
        )
        return [
            issue_certificate(operator=operator, municipality=vorkuta, parent=parent).certificate
            for _ in range(2)
        ]


def test_expiry_task_expires_once(issued):
    old, young = issued
    Certificate.objects.filter(pk=old.pk).update(valid_until=dt.date(2026, 12, 1))
    with clock.frozen(dt.date(2026, 12, 2)):
        assert tasks.expire_certificates.apply().get() == 1
        assert tasks.expire_certificates.apply().get() == 0
    assert Certificate.objects.get(pk=old.pk).status == Certificate.Status.EXPIRED
    assert Certificate.objects.get(pk=young.pk).status == Certificate.Status.ACTIVE
    assert verify_ledger() == []


def test_nominal_task_grants_a_new_period_on_its_first_day_once(vorkuta, issued):
    nxt = FinancingPeriodFactory(
        municipality=vorkuta,
        name="ПФДО 2027/28",
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
        certificate_quota=100,
        budget_kopecks=100 * 3_000_000,
    )
    NominalCategoryFactory(period=nxt, nominal_kopecks=3_000_000)
    with clock.frozen(dt.date(2027, 9, 1)):
        assert tasks.grant_period_nominals.apply().get() == 2
        assert tasks.grant_period_nominals.apply().get() == 0
    assert [selectors.balance(c, nxt).granted_kopecks for c in issued] == [3_000_000] * 2
    assert verify_ledger() == []
