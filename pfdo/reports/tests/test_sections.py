"""The reports helper's sections (coverage, certificates, contracts, places) on a small world
computed by hand: pages, API, XLSX cell by cell, scoping and constant query counts."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from pfdo.common.tests.worlds import copy_of, world_once
from pfdo.enrolment.models import Contract
from pfdo.enrolment.tests.factories import family, ready_group
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.reports import sections
from pfdo.reports.selectors.scope import Filters
from pfdo.reports.tests.worlds import at, build, enrol

pytestmark = pytest.mark.django_db

MINE = ("coverage", "certificates", "contracts", "places")
_world = world_once(build)


@pytest.fixture
def world(_world, db):
    return copy_of(_world)


@pytest.fixture(autouse=True)
def _today():
    with at(dt.date(2026, 10, 31)):
        yield


def tables_of(world, key, **filters):
    built = sections.get(key).build(
        Filters(municipality=world.vorkuta, period=world.period, **filters)
    )
    return {table.key: table for table in built}


def test_coverage_tables_by_hand(world):
    tables = tables_of(world, "coverage")
    now = tables["coverage_now"]
    # Holders on 31 Oct: a, b, c, f, g, h, i = 7 of 40 → 17.50 %; users a, g = 2 → 5.00 %.
    assert [(r["children"], r["share"]) for r in now.rows] == [
        (40, None),
        (7, Decimal("17.50")),
        (2, Decimal("5.00")),
    ]
    assert now.rows[1]["met"] == "нет"
    assert now.figures[0].value == Decimal("17.50") and now.figures[0].status == "missed"
    monthly = tables["coverage_by_month"]
    assert [
        (r["month"], r["holders"], r["holders_share"], r["users"], r["users_share"])
        for r in monthly.rows
    ] == [
        # 30 Sep: a, b, d, e, f = 5 (12.50 %); users a = 1 (2.50 %).
        (dt.date(2026, 9, 1), 5, Decimal("12.50"), 1, Decimal("2.50")),
        (dt.date(2026, 10, 1), 7, Decimal("17.50"), 2, Decimal("5.00")),
    ]
    assert monthly.chart.target == 25
    by_age = tables["coverage_by_age"]
    # 5–9: c (5), h (9), i (9) of 3×5 = 15 → 20.00 %; 10–13: a, f, g of 3×4+1 = 13 →
    # 23.08 %, users a, g → 15.38 %; 14–17: b of 12 → 8.33 %.
    assert [
        (r["group"], r["population"], r["holders"], r["holders_share"], r["users_share"])
        for r in by_age.rows
    ] == [
        ("5–9 лет", 15, 3, Decimal("20.00"), Decimal("0.00")),
        ("10–13 лет", 13, 3, Decimal("23.08"), Decimal("15.38")),
        ("14–17 лет", 12, 1, Decimal("8.33"), Decimal("0.00")),
    ]
    # The month filter narrows to September (read on its last day).
    september = tables_of(world, "coverage", month=dt.date(2026, 9, 1))
    assert [r["holders"] for r in september["coverage_by_month"].rows] == [5]
    assert september["coverage_now"].rows[1]["children"] == 5


def test_certificates_contracts_and_places_by_hand(world):
    certificates = tables_of(world, "certificates")["certificates_issued"]
    # September: a, c, d, e, f (1 Sep) and b (15 Sep) = 6; October: g, h, i = 3.
    assert [(r["month"].month, r["financing"], r["total"]) for r in certificates.rows] == [
        (9, 6, 6),
        (10, 3, 3),
    ]
    contracts = tables_of(world, "contracts")
    tech = contracts["contracts_by_direction"].rows[0]
    # Technical: applications a, f, g; contracts a, g active and f's offer.
    assert (
        tech["direction"],
        tech["applications"],
        tech["app_concluded"],
        tech["app_waiting"],
    ) == (
        "Техническая",
        3,
        2,
        1,
    )
    assert (tech["contracts"], tech["c_active"], tech["c_offered"]) == (3, 2, 1)
    arts = next(
        r for r in contracts["contracts_by_direction"].rows if r["direction"] == "Художественная"
    )
    assert (arts["applications"], arts["app_waitlisted"], arts["contracts"]) == (2, 1, 0)
    forms = {r["form"]: r for r in contracts["contracts_by_form"].rows}
    assert forms["Муниципальная организация"]["contracts"] == 3
    assert forms["Государственная организация"]["applications"] == 2
    ages = {r["group"]: r for r in contracts["contracts_by_age"].rows}
    # h and i (9) applied to arts; a (10), f (12), g (13) to tech.
    assert ages["5–9 лет"]["applications"] == 2 and ages["10–13 лет"]["contracts"] == 3
    assert "до 5 лет" not in ages
    by_provider = tables_of(world, "contracts", provider=world.arts.module.program.provider)
    assert by_provider["contracts_by_direction"].rows[0]["applications"] == 0
    places = tables_of(world, "places")
    # tech: 10 places, 3 taken (a, g, f's offer); arts: 1 place, h's; i waits since 20 Oct.
    assert places["places_totals"].rows[0] | {} == {
        "scope": "Все группы",
        "groups": 2,
        "capacity": 11,
        "taken": 4,
        "free": 7,
        "full": 1,
        "waiting": 1,
        "waiting_groups": 1,
    }
    [waiting] = places["places_waitlists"].rows
    assert (waiting["group"], waiting["waiting"], waiting["since"]) == (
        f"Живопись · {world.arts.name}",
        1,
        dt.date(2026, 10, 20),
    )
    assert [(r["group"], r["free"]) for r in places["places_free"].rows] == [
        (f"Робототехника · {world.tech.name}", 7)
    ]
    assert tables_of(world, "places", direction="arts")["places_free"].rows == []


def page(world, role="operator") -> Client:
    client = Client()
    client.force_login(getattr(world, role))
    return client


@pytest.mark.parametrize("key", MINE)
def test_each_section_page_api_and_scope(world, key):
    vorkuta, inta = world.vorkuta, world.inta
    client = page(world)
    url = f"/cabinet/reports/municipalities/{vorkuta.code}/{key}/"
    response = client.get(url + "?direction=technical&month=2026-10")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "XLSX" in html
    assert client.get(f"/cabinet/reports/municipalities/{inta.code}/{key}/").status_code == 404
    api = APIClient()
    api.force_authenticate(world.operator)
    body = api.get(f"/api/v1/reports/{key}/").json()
    assert body["section"] == key and body["tables"]
    assert api.get(f"/api/v1/reports/{key}/?municipality=inta").status_code == 404
    api.force_authenticate(world.inta_operator)
    assert api.get(f"/api/v1/reports/{key}/?municipality=vorkuta").status_code == 404
    # The regional administrator reads both.
    api.force_authenticate(world.regional_admin)
    assert api.get(f"/api/v1/reports/{key}/?municipality=vorkuta").status_code == 200


def test_coverage_page_shows_the_figure_against_25(world):
    html = page(world).get(f"/cabinet/reports/municipalities/{world.vorkuta.code}/coverage/")
    text = html.content.decode()
    assert "17,50" in text and "цель 25 % не достигнута" in text
    assert 'class="target"' in text  # the dashed 25 % line of the chart


def test_coverage_api_is_the_table(world):
    api = APIClient()
    api.force_authenticate(world.operator)
    body = api.get("/api/v1/reports/coverage/").json()
    monthly = next(t for t in body["tables"] if t["key"] == "coverage_by_month")
    assert monthly["rows"][1] == {
        "month": "2026-10",
        "population": 40,
        "holders": 7,
        "holders_share": "17.50",
        "users": 2,
        "users_share": "5.00",
        "target": "25.00",
        "met": "нет",
    }


def sheet_rows(response):
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=1)]


def test_exports_cell_by_cell(world):
    client = page(world)
    base = f"/cabinet/reports/municipalities/{world.vorkuta.code}"
    rows = sheet_rows(client.get(f"{base}/coverage/?export=xlsx&table=coverage_by_month"))
    assert rows[0][0] == "Охват по месяцам"
    header_at = rows.index(
        [
            "Месяц",
            "Детей 5–17 лет",
            "Держат сертификат",
            "Доля держателей",
            "Воспользовались",
            "Доля воспользовавшихся",
            "Цель",
            "Цель достигнута",
        ]
    )
    september, october = rows[header_at + 1], rows[header_at + 2]
    assert september[:3] == [dt.datetime(2026, 9, 1), 40, 5]
    assert september[3] == pytest.approx(0.125) and september[5] == pytest.approx(0.025)
    assert october[:3] == [dt.datetime(2026, 10, 1), 40, 7]
    assert october[3] == pytest.approx(0.175) and october[4] == 2
    assert october[6] == pytest.approx(0.25) and october[7] == "нет"
    rows = sheet_rows(client.get(f"{base}/contracts/?export=xlsx&table=contracts_by_direction"))
    header_at = next(i for i, row in enumerate(rows) if row[0] == "Направленность")
    assert rows[header_at][1:3] == ["Заявок подано", "Ждут решения"]
    assert rows[header_at + 1] == ["Техническая", 3, 1, 0, 2, 0, 3, 1, 2, 0, 0]
    assert rows[header_at + 4] == ["Художественная", 2, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    rows = sheet_rows(client.get(f"{base}/places/?export=xlsx&table=places_waitlists"))
    header_at = next(i for i, row in enumerate(rows) if row[0] == "Программа · группа")
    assert rows[header_at + 1][:4] == [
        f"Живопись · {world.arts.name}",
        world.arts.module.program.provider.short_name,
        1,
        dt.datetime(2026, 10, 20),
    ]


def grow(world):
    """Four more providers, each with a group, two families enrolled and one waiting."""
    with at(dt.date(2026, 10, 2)):
        for n in range(4):
            group = ready_group(
                world.vorkuta,
                capacity=2,
                provider=ProviderFactory(municipality=world.vorkuta, legal_form="company"),
                direction="sports",
            )
            for _ in range(3):
                fam = family(world.vorkuta, world.operator, birth_date=dt.date(2015, 1, 1 + n))
                enrol(fam, group)


@pytest.mark.parametrize("key", MINE)
def test_query_count_does_not_grow(world, key, django_assert_max_num_queries):
    client = page(world)
    api = APIClient()
    api.force_authenticate(world.operator)
    url = f"/cabinet/reports/municipalities/{world.vorkuta.code}/{key}/"
    bound = {"coverage": 14, "certificates": 14, "contracts": 18, "places": 16}[key]
    for size in ("small", "bigger"):
        if size == "bigger":
            grow(world)
            # 4 more providers, 8 more contracts, 4 more waiting: the same number of queries.
            assert Contract.objects.filter(municipality=world.vorkuta).count() == 3 + 8
        with django_assert_max_num_queries(bound):
            assert client.get(url).status_code == 200
        with django_assert_max_num_queries(bound):
            assert api.get(f"/api/v1/reports/{key}/").status_code == 200
