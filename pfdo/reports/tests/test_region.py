"""The regional view: municipalities side by side, the share running certificates against 50 %,
drill-down links, XLSX, the API, who may see it, and a query count that does not grow with the
number of municipalities."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from pfdo.certificates.tests.factories import approved_period, issue_certificate
from pfdo.common import clock
from pfdo.reports.models import ChildPopulation
from pfdo.reports.selectors import region as region_selectors
from pfdo.territory.tests.factories import MunicipalityFactory, RegionFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 10, 15)
NOMINAL = 2_417_100


def town(region, code, name, number, *, certificates=1, period=True, make_user=None):
    municipality = MunicipalityFactory(region=region, code=code, name=name, number=number)
    if period:
        approved_period(municipality, quota=10, nominal=NOMINAL, budget=30_000_000)
    if certificates:
        operator = make_user("operator", municipality=municipality)
        for _ in range(certificates):
            parent = make_user("parent", municipality=municipality)
            with clock.frozen(dt.date(2026, 9, 1)):
                issue_certificate(operator=operator, municipality=municipality, parent=parent)
    return municipality


@pytest.fixture
def komi(vorkuta, operator, make_user):
    """Vorkuta: 2 certificates and 8 children of 5–17 → 25 %; Инта: 1 certificate, no
    population data; Усинск: a period, no certificate; Печора: no period."""
    region = vorkuta.region
    approved_period(vorkuta, quota=10, nominal=NOMINAL, budget=30_000_000)
    for _ in range(2):
        parent = make_user("parent", municipality=vorkuta)
        with clock.frozen(dt.date(2026, 9, 1)):
            issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    # The children (born 14 May 2016) are 10 in 2026; 8 children of the target ages.
    ChildPopulation.objects.create(municipality=vorkuta, year=2026, age=10, children=5)
    ChildPopulation.objects.create(municipality=vorkuta, year=2026, age=15, children=3)
    inta = town(region, "inta", "Инта", 3, make_user=make_user)
    town(region, "usinsk", "Усинск", 4, certificates=0, make_user=make_user)
    town(region, "pechora", "Печора", 5, certificates=0, period=False, make_user=make_user)
    return region, vorkuta, inta


def by_name(table):
    return {row["municipality"]: row for row in table.rows}


def test_municipalities_side_by_side_by_hand(komi):
    region, _, _ = komi
    with clock.frozen(TODAY):
        (main, running), _ = region_selectors.tables(region, TODAY)
    rows = by_name(main)
    assert list(rows) == ["Воркута", "Инта", "Усинск", "Печора"]  # by number
    # Vorkuta: 2 holders of 8 children = 25.00 %, the target met exactly.
    assert rows["Воркута"]["certificates"] == 2
    assert str(rows["Воркута"]["holders_share"]) == "25.00"
    assert rows["Инта"]["certificates"] == 1 and rows["Инта"]["holders_share"] is None
    # Money of the current period: budget 30 000 000, two nominals granted; no contract yet.
    assert rows["Воркута"]["budget"] == 30_000_000 and rows["Воркута"]["committed"] == 0
    assert rows["Воркута"]["forecast"] == "хватит до конца периода"
    assert rows["Печора"]["budget"] is None and rows["Печора"]["forecast"] == "нет периода"
    assert [rows[n]["runs"] for n in rows] == ["да", "да", "нет", "нет"]
    # 2 of 4 run certificates: 50.00 % against the 50 % target.
    line = running.rows[0]
    assert (line["running"], line["total"], str(line["share"]), line["met"]) == (
        2,
        4,
        "50.00",
        "да",
    )
    assert main.chart.target == 25 and running.chart.target == 50


def test_regional_admin_page_links_each_dashboard_and_exports(client, make_user, komi):
    region, _, inta = komi
    admin = make_user("regional_admin", region=region)
    client.force_login(admin)
    with clock.frozen(TODAY):
        home = client.get("/cabinet/reports/")
        page = client.get("/cabinet/reports/region/")
        book = client.get("/cabinet/reports/region/?export=xlsx&table=region_municipalities")
        drill = client.get(f"/cabinet/reports/municipalities/{inta.code}/money/")
    assert home.status_code == 302 and home["Location"] == "/cabinet/reports/region/"
    assert page.status_code == 200
    text = page.content.decode()
    assert "цель 25 %" in text and "цель 50 %" in text
    assert f'href="/cabinet/reports/municipalities/{inta.code}/coverage/?period=' in text
    assert drill.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(rows) if row[0] == "Муниципалитет")
    assert rows[header][:4] == [
        "Муниципалитет",
        "Период",
        "Сертификатов (действуют)",
        "Охват сертификатами",
    ]
    assert rows[header + 1][0] == "Воркута" and rows[header + 1][2] == 2
    assert rows[header + 1][3] == pytest.approx(0.25)
    assert rows[header + 1][6] == pytest.approx(300_000)  # budget in roubles


def test_who_sees_the_regional_view(client, api_client, make_user, operator, komi):
    region, vorkuta, _ = komi
    elsewhere = RegionFactory(code="nao", name="Ненецкий АО")
    foreign_admin = make_user("regional_admin", region=elsewhere)
    admin = make_user("regional_admin", region=region)
    superuser = make_user(None, is_superuser=True, is_staff=True)
    with clock.frozen(TODAY):
        client.force_login(operator)
        assert client.get("/cabinet/reports/region/").status_code == 404
        assert client.get(f"/cabinet/reports/region/?region={region.code}").status_code == 404
        api_client.force_authenticate(operator)
        refused = api_client.get("/api/v1/reports/region/")
        assert refused.status_code == 404 and "error" in refused.json()
        api_client.force_authenticate(foreign_admin)
        assert api_client.get(f"/api/v1/reports/region/?region={region.code}").status_code == 404
        client.force_login(foreign_admin)
        assert client.get(f"/cabinet/reports/region/?region={region.code}").status_code == 404
        api_client.force_authenticate(admin)
        own = api_client.get("/api/v1/reports/region/")
        api_client.force_authenticate(superuser)
        chosen = api_client.get(f"/api/v1/reports/region/?region={region.code}")
        missing = api_client.get("/api/v1/reports/region/?region=zzz")
        parent = make_user("parent", municipality=vorkuta)
        api_client.force_authenticate(parent)
        assert api_client.get("/api/v1/reports/region/").status_code == 403
    assert own.status_code == 200 and chosen.status_code == 200
    body = own.json()
    assert body["region"] == region.code and body["on"] == "2026-10-15"
    first = body["tables"][0]["rows"][0]
    assert (first["municipality"], first["holders_share"], first["budget"]) == (
        "Воркута",
        "25.00",
        30_000_000,
    )
    assert chosen.json()["tables"] == body["tables"]
    assert missing.status_code == 404


def test_queries_do_not_grow_with_municipalities(
    client, make_user, vorkuta, django_assert_max_num_queries
):
    region = vorkuta.region
    admin = make_user("regional_admin", region=region)
    client.force_login(admin)
    town(region, "inta", "Инта", 3, make_user=make_user)

    def count():
        with clock.frozen(TODAY), django_assert_max_num_queries(14) as ctx:
            assert client.get("/cabinet/reports/region/").status_code == 200
        return len(ctx.captured_queries)

    two = count()  # Vorkuta (no period, no certificate) and Инта
    for number, code in enumerate(("pechora", "ukhta", "sosnogorsk"), start=4):
        town(region, code, code.title(), number, certificates=2, make_user=make_user)
    assert count() == two
