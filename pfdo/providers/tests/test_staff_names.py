"""Names of provider staff (the applicant's first user, staff added later) refuse markup and
spreadsheet formulas with a field message, on the pages and in the API."""

import pytest

from pfdo.accounts.models import User
from pfdo.providers.models import Provider, ProviderStaff
from pfdo.providers.tests.factories import org_profile

SCRIPT = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"
# The field message the person-name rule gives (pfdo.common.validators), as people read it.
PERSON_NAME_MESSAGE = (
    "Только буквы (русские или латинские), пробелы, дефисы и апострофы; начинается с буквы."
)
ORGANISATION = "/cabinet/provider/organisation/"

pytestmark = pytest.mark.django_db


def application(vorkuta, **overrides) -> dict:
    return {
        **org_profile(),
        "municipality": vorkuta.pk,
        "staff_last_name": "Морозов",
        "staff_first_name": "Дмитрий",
        "staff_email": "morozov@example.org",
        "staff_login": "morozov",
        "staff_password": "Polar-Code-2026",
        "staff_password2": "Polar-Code-2026",
        "confirm": "on",
        **overrides,
    }


def test_provider_application_page_refuses_a_script_as_the_staff_name(client, vorkuta):
    response = client.post("/providers/apply/", application(vorkuta, staff_last_name=SCRIPT))
    assert response.status_code == 200
    assert response.context["form"].errors["staff_last_name"] == [PERSON_NAME_MESSAGE]
    assert not Provider.objects.exists()


def test_provider_application_api_refuses_a_formula_as_the_staff_name(api_client, vorkuta):
    body = {
        **application(vorkuta, staff_first_name=FORMULA),
        "municipality": "vorkuta",
    }
    response = api_client.post("/api/v1/providers/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {"staff_first_name": [PERSON_NAME_MESSAGE]}
    assert not Provider.objects.exists()


def test_staff_added_on_the_page_and_in_the_api_must_have_names(
    client, api_client, provider, admin
):
    client.force_login(admin)
    page = client.post(
        ORGANISATION + "staff/add/", {"login": "t1", "last_name": FORMULA, "first_name": "Елена"}
    )
    assert page.status_code == 200
    assert page.context["staff_form"].errors["last_name"] == [PERSON_NAME_MESSAGE]
    api_client.force_authenticate(admin)
    response = api_client.post(
        f"/api/v1/providers/{provider.pk}/staff/",
        {"login": "t2", "last_name": "Петров", "first_name": "Ан", "patronymic": SCRIPT},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"patronymic": [PERSON_NAME_MESSAGE]}
    assert not User.objects.filter(username__in=["t1", "t2"]).exists()
    assert ProviderStaff.objects.filter(provider=provider).count() == 1
