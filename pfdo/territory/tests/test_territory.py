"""Territory registry: the served municipality, codes, the public API."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pfdo.audit.models import ActionLog
from pfdo.territory import selectors, services
from pfdo.territory.models import Municipality

pytestmark = pytest.mark.sqlite  # also in the SQLite pass of `make test`


def test_home_page_names_the_served_municipality(client, vorkuta, settings):
    settings.PFDO_MUNICIPALITY = "vorkuta"
    text = client.get("/").content.decode()
    assert "Кружки и секции для детей — Воркута" in text


def test_home_page_without_configured_municipality_says_so(client, db, settings):
    settings.PFDO_MUNICIPALITY = "nowhere"
    assert selectors.served_municipality() is None
    assert "Муниципалитет ещё не настроен" in client.get("/").content.decode()


def test_ensure_is_idempotent_and_audited(db):
    region = services.ensure_region(actor=None, code="komi", name="Республика Коми")
    again = services.ensure_region(actor=None, code="komi", name="Другое имя")
    assert region.pk == again.pk and again.name == "Республика Коми"
    m = services.ensure_municipality(
        actor=None, region=region, code="inta", name="Инта", kind="urban_district", number=4
    )
    services.ensure_municipality(
        actor=None, region=region, code="inta", name="Инта", kind="urban_district", number=4
    )
    assert Municipality.objects.filter(code="inta").count() == 1
    assert (
        ActionLog.objects.filter(
            action="territory.municipality_created", object_id=str(m.pk)
        ).count()
        == 1
    )


def test_codes_are_validated(region):
    m = Municipality(region=region, code="Воркута!", name="x", kind="urban_district", number=5)
    with pytest.raises(ValidationError) as exc:
        m.full_clean()
    assert "code" in exc.value.message_dict


def test_municipality_number_is_unique_in_region_and_in_range(vorkuta):
    with pytest.raises(IntegrityError), transaction.atomic():
        Municipality.objects.create(
            region=vorkuta.region,
            code="dup",
            name="x",
            kind="urban_district",
            number=vorkuta.number,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Municipality.objects.create(
            region=vorkuta.region, code="big", name="x", kind="urban_district", number=100
        )


def test_public_api_lists_and_filters(api_client, vorkuta):
    from pfdo.territory.tests.factories import MunicipalityFactory

    MunicipalityFactory()  # another region
    body = api_client.get("/api/v1/municipalities/", {"region": "komi"}).json()
    assert body["count"] == 1
    assert body["results"][0]["code"] == "vorkuta"
    assert body["results"][0]["region"] == "komi"
    one = api_client.get("/api/v1/municipalities/vorkuta/")
    assert one.status_code == 200 and one.json()["name"] == "Воркута"
    assert api_client.get("/api/v1/regions/komi/").json()["name"] == "Республика Коми"
    missing = api_client.get("/api/v1/municipalities/atlantis/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_public_api_is_read_only(api_client, vorkuta):
    response = api_client.post("/api/v1/municipalities/", {"code": "x"}, format="json")
    assert response.status_code == 405
    assert Municipality.objects.count() == 1
