"""Fixtures and helpers of the operator's certificate page tests (test_operator_*_views.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from pfdo.accounts.models import User
from pfdo.certificates import services
from pfdo.certificates.tests.factories import (
    approved_period,
    child_data,
    issue_certificate,
)
from pfdo.common import clock
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 28)
NOMINAL = 2_417_100


REGISTRY = "/cabinet/certificates/"
QUEUE = "/cabinet/certificate-applications/"
REGISTER = "/cabinet/certificate-applications/new/"
LOOKUP = "/cabinet/provider/certificate-lookup/"


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def inta(region):
    return MunicipalityFactory(region=region, code="inta", name="Инта", number=3)


@pytest.fixture
def stranger(make_user, inta):
    """An operator of another municipality of the same region."""
    return make_user("operator", municipality=inta)


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def parent(vorkuta):
    return services.register_parent(
        actor=None,
        municipality=vorkuta,
        last_name="Иванова",
        first_name="Анна",
        email="anna@example.org",
    )


@pytest.fixture
def issued(operator, vorkuta, parent, period):
    return issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, last_name="Сидорова"
    )


@pytest.fixture
def certificate(issued):
    return issued.certificate


@pytest.fixture
def application(vorkuta, parent):
    return services.apply_for_certificate(
        actor=parent,
        municipality=vorkuta,
        parent=parent,
        child=child_data(last_name="Кузнецов", first_name="Пётр", sex="m"),
    )


def login(client, user):
    user.refresh_from_db()  # an issued password changes the session hash
    client.force_login(user)
    return client


def text_of(response) -> str:
    return response.content.decode()


def errors_of(response, field, prefix=""):
    """Messages rendered under a field on the page."""
    name = f"{prefix}-{field}" if prefix else field
    match = re.search(rf'id="id_{name}_error"[^>]*>(.*?)</ul>', text_of(response), re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def settled(user):
    """A parent who already replaced the issued password (so no redirect to change it)."""
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    return user
