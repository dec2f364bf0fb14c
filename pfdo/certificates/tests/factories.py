"""Factories and helpers of children, applications and certificates for tests."""

from __future__ import annotations

import datetime as dt
import itertools

from pfdo.certificates.validators import snils_check_digits

_serial = itertools.count(100_000_001)


def valid_snils() -> str:
    """A fresh СНИЛС with correct check digits (formatted as people type it)."""
    body = f"{next(_serial):09d}"
    s = body + snils_check_digits(body)
    return f"{s[:3]}-{s[3:6]}-{s[6:9]} {s[9:]}"


_doc = itertools.count(100_001)


_LETTERS = "абвгдежзиклмнопрстуфхцчшэюя"


def nth_name(n: int, base: str = "Ребёнок") -> str:
    """A distinct name for the n-th of many children: letters only, as names must be."""
    suffix = ""
    while True:
        n, digit = divmod(n, len(_LETTERS))
        suffix = _LETTERS[digit] + suffix
        if not n:
            return base + suffix


def child_data(**overrides) -> dict:
    """The fields of a child's card as a form or the API sends them."""
    data = {
        "last_name": "Иванова",
        "first_name": "Мария",
        "patronymic": "Петровна",
        "birth_date": dt.date(2016, 5, 14),
        "sex": "f",
        "document_type": "birth_certificate",
        "document_number": f"II-ЕА {next(_doc):06d}",
        "snils": valid_snils(),
        "has_disability": False,
    }
    data.update(overrides)
    return data


def approved_period(municipality, *, quota=100, nominal=2_417_100, budget=None, **fields):
    """An approved period of 2026/27 with one nominal category for ages 5–18.

    The nominal is not scaled by months unless a test asks (`scale_nominal_by_months=True`).
    """
    fields.setdefault("scale_nominal_by_months", False)
    from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory

    period = FinancingPeriodFactory(
        municipality=municipality,
        certificate_quota=quota,
        budget_kopecks=budget if budget is not None else quota * nominal,
        **fields,
    )
    NominalCategoryFactory(period=period, nominal_kopecks=nominal)
    return period


def issue_certificate(*, operator, municipality, parent, wants_financing=True, **child):
    """File and approve an application in one go; returns the services' Issued."""
    from pfdo.certificates import services

    application = services.apply_for_certificate(
        actor=parent,
        municipality=municipality,
        parent=parent,
        child=child_data(**child),
        wants_financing=wants_financing,
    )
    return services.approve_application(actor=operator, application=application)
