"""Fixtures of the enrolment API tests: a period, a family, a group and its staff, all on
`TODAY`."""

from __future__ import annotations

import pytest

from pfdo.common import clock
from pfdo.enrolment.tests.api.support import TODAY
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def fam(vorkuta, operator, period):
    return family(vorkuta, operator)


@pytest.fixture
def group(vorkuta, period):
    return ready_group(vorkuta)


@pytest.fixture
def staff(group):
    return staff_of(group.module.program.provider)


@pytest.fixture
def as_user(api_client):
    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login
