"""Fixtures and helpers of the parent's page tests (test_parent_*_views.py)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from pfdo.certificates.tests.factories import (
    approved_period,
    child_data,
)
from pfdo.common import clock

User = get_user_model()
TODAY = dt.date(2026, 11, 28)
NBSP = "\u00a0"
APPLY = reverse("family:apply")
APPLIED = reverse("family:applied")
HOME = reverse("family:home")
ADD_CHILD = reverse("family:add_child")


def rub(text: str) -> str:
    """'24 171,00' → '24 171,00 ₽' with the no-break spaces of the money filter."""
    return text.replace(" ", NBSP) + NBSP + "₽"


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def parent(make_user, vorkuta):
    return make_user("parent", municipality=vorkuta, email="mama@example.org")


def registration(municipality, **overrides) -> dict:
    """The POST of the online application form: a parent and a valid child."""
    child = child_data()
    data = {
        "municipality": municipality.pk,
        "parent_last_name": "Иванова",
        "parent_first_name": "Анна",
        "parent_patronymic": "Сергеевна",
        "email": "anna@example.org",
        "phone": "+7 912 345-67-89",
        "relation": "mother",
        "last_name": child["last_name"],
        "first_name": child["first_name"],
        "patronymic": child["patronymic"],
        "birth_date": child["birth_date"].isoformat(),
        "sex": child["sex"],
        "document_type": child["document_type"],
        "document_number": child["document_number"],
        "snils": child["snils"],
        "wants_financing": "on",
        "consent": "on",
        "once": uuid.uuid4().hex,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def child_post(**overrides) -> dict:
    """The POST of the in-cabinet form for one more child."""
    child = child_data(**overrides)
    data = {
        "relation": "mother",
        "last_name": child["last_name"],
        "first_name": child["first_name"],
        "patronymic": child["patronymic"],
        "birth_date": child["birth_date"].isoformat(),
        "sex": child["sex"],
        "document_type": child["document_type"],
        "document_number": child["document_number"],
        "snils": child["snils"],
        "wants_financing": "on",
        "once": uuid.uuid4().hex,
    }
    return data


def field_errors(html: str, name: str) -> str:
    match = re.search(rf'<ul class="errorlist" id="id_{name}_error"[^>]*>(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""
