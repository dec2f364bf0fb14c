"""Shared fixtures of the billing tests: the API world (`test_api*.py`, helpers in
`api_world`), the payer, and the provider page world (helpers in `provider_pages`)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pfdo.billing.tests.api_world import TODAY
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract, staff_of
from pfdo.billing.tests.provider_pages import BIRTH
from pfdo.common import clock
from pfdo.providers.tests.factories import ProviderFactory


@pytest.fixture
def api_today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def w(vorkuta, operator, make_user):
    """Provider P with family A, provider Q with family B, the payer, each provider's staff."""
    approved_period(vorkuta)
    provider_p = ProviderFactory(municipality=vorkuta)
    provider_q = ProviderFactory(municipality=vorkuta)
    group = ready_group(vorkuta, provider=provider_p)
    q_group = ready_group(vorkuta, provider=provider_q)
    fam_a, contract_a = signed_contract(vorkuta, operator, group)
    fam_b, contract_b = signed_contract(vorkuta, operator, q_group)
    for fam in (fam_a, fam_b):
        fam.parent.must_change_password = False
        fam.parent.save(update_fields=["must_change_password"])
    return SimpleNamespace(
        municipality=vorkuta,
        operator=operator,
        payer=make_user("payer", municipality=vorkuta),
        provider=provider_p,
        provider_q=provider_q,
        group=group,
        q_group=q_group,
        staff=staff_of(provider_p),
        staff_q=staff_of(provider_q),
        fam_a=fam_a,
        fam_b=fam_b,
        contract=contract_a,
        contract_b=contract_b,
    )


@pytest.fixture
def as_user(api_client):
    api_client.default_format = "json"  # bodies are JSON, the only format the API parses

    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login


@pytest.fixture
def payer(make_user, vorkuta):
    return make_user("payer", municipality=vorkuta)


# ------------------------------------------------- the provider page tests


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def group(vorkuta, period):
    """Tuesdays 16:00–17:30, September 2026 – May 2027."""
    return ready_group(vorkuta, price=1_800_000, normative=2_000_000)


@pytest.fixture
def provider(group):
    return group.module.program.provider


@pytest.fixture
def staff(provider):
    return staff_of(provider)


@pytest.fixture
def signed(vorkuta, operator, group):
    """Two children with contracts signed on 1 September."""
    first = signed_contract(
        vorkuta, operator, group, last_name="Соколова", first_name="Дарья", birth_date=BIRTH
    )
    second = signed_contract(vorkuta, operator, group, last_name="Андреев", first_name="Илья")
    return first, second


@pytest.fixture
def contract(signed):
    return signed[0][1]


@pytest.fixture
def child(signed):
    return signed[0][0].child


@pytest.fixture
def other_staff(vorkuta, period):
    """Staff of another provider of the same municipality."""
    return staff_of(ready_group(vorkuta).module.program.provider)
