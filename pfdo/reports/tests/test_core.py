"""The reports' shared core: tables, charts, XLSX, the filter form, scoping of pages and API."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pfdo.certificates.tests.factories import approved_period, issue_certificate
from pfdo.common import clock
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.reports import charts
from pfdo.reports.exports import tables_xlsx
from pfdo.reports.forms import ReportFilterForm
from pfdo.reports.tables import Chart, Column, Table, percent
from pfdo.territory.tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db


def sample_table() -> Table:
    return Table(
        key="t",
        title="Охват <по месяцам>",
        columns=[
            Column("month", "Месяц", "month"),
            Column("children", "Детей", "int"),
            Column("share", "Доля", "percent"),
            Column("money", "Сумма", "money"),
        ],
        rows=[
            {
                "month": dt.date(2026, 9, 1),
                "children": 10,
                "share": Decimal("12.50"),
                "money": 123456,
            },
            {"month": dt.date(2026, 10, 1), "children": 30, "share": Decimal("37.50"), "money": 5},
        ],
        chart=Chart("line", "month", ("share",), target=25, target_label="цель 25 %"),
    )


def test_percent_rounds_half_up_and_knows_nothing_of_zero():
    assert percent(1, 8) == Decimal("12.50")
    assert percent(1, 3) == Decimal("33.33")
    assert percent(2, 3) == Decimal("66.67")
    assert percent(5, 0) is None


def test_json_keeps_kopecks_whole_and_percent_as_text():
    data = sample_table().as_json()
    assert data["rows"][0] == {
        "month": "2026-09",
        "children": 10,
        "share": "12.50",
        "money": 123456,
    }
    assert [c["kind"] for c in data["columns"]] == ["month", "int", "percent", "money"]


def test_line_chart_draws_each_point_and_the_target_and_escapes_text():
    svg = str(charts.render(sample_table()))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert svg.count("<circle") == 2
    assert 'class="target"' in svg and "цель 25 %" in svg
    assert "&lt;по месяцам&gt;" in svg and "<по месяцам>" not in svg
    assert "style=" not in svg


def test_bar_and_hbar_draw_one_bar_per_value():
    table = sample_table()
    table.chart = Chart("bar", "month", ("children", "money"))
    assert str(charts.render(table)).count("<rect") == 4
    table.chart = Chart("hbar", "month", ("children",), target=20)
    svg = str(charts.render(table))
    assert svg.count("<rect") == 2 and 'class="target"' in svg


def test_no_chart_without_rows():
    table = sample_table()
    table.rows = []
    assert str(charts.render(table)) == ""


def test_xlsx_holds_raw_values_with_formats_cell_by_cell():
    table = sample_table()
    table.rows.append(
        {"month": dt.date(2026, 11, 1), "children": None, "share": None, "money": -100}
    )
    table.columns.append(Column("name", "Имя"))
    table.rows[0]["name"] = "=HYPERLINK(1)"
    book = load_workbook(io.BytesIO(tables_xlsx([table], heading="Воркута")))
    sheet = book[book.sheetnames[0]]
    assert sheet["A1"].value == "Охват <по месяцам>"
    assert sheet["A2"].value == "Воркута"
    header = [cell.value for cell in sheet[4]]
    assert header == ["Месяц", "Детей", "Доля", "Сумма", "Имя"]
    first = sheet[5]
    assert first[0].value == dt.datetime(2026, 9, 1)
    assert first[1].value == 10
    assert first[2].value == pytest.approx(0.125) and first[2].number_format == "0.00%"
    assert first[3].value == pytest.approx(1234.56) and first[3].number_format == "#,##0.00"
    assert first[4].value == "'=HYPERLINK(1)"
    third = sheet[7]
    assert third[1].value is None and third[2].value is None
    assert third[3].value == pytest.approx(-1.0)


def test_filter_form_refuses_what_is_not_the_municipality_s(vorkuta):
    other = MunicipalityFactory(region=vorkuta.region, code="inta", name="Инта", number=3)
    period = approved_period(vorkuta)
    foreign_period = approved_period(other)
    foreign_provider = ProviderFactory(municipality=other)
    form = ReportFilterForm(
        {
            "period": foreign_period.pk,
            "provider": foreign_provider.pk,
            "month": "2026-13",
            "direction": "x",
        },
        municipality=vorkuta,
    )
    assert not form.is_valid()
    assert set(form.errors) == {"period", "provider", "month", "direction"}
    outside = ReportFilterForm({"period": period.pk, "month": "2025-01"}, municipality=vorkuta)
    assert not outside.is_valid() and "month" in outside.errors
    with clock.frozen(dt.datetime(2026, 10, 15, 12, tzinfo=dt.UTC)):
        filters = ReportFilterForm({}, municipality=vorkuta).filters()
    assert filters.period == period and filters.month is None


@pytest.fixture
def two_towns(vorkuta, operator, make_user):
    other = MunicipalityFactory(region=vorkuta.region, code="inta", name="Инта", number=3)
    approved_period(vorkuta)
    approved_period(other)
    parent = make_user("parent", municipality=vorkuta)
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    return vorkuta, other


def test_operator_reads_own_municipality_only_on_pages(client, operator, two_towns):
    vorkuta, other = two_towns
    client.force_login(operator)
    own = client.get(f"/cabinet/reports/municipalities/{vorkuta.code}/certificates/")
    assert own.status_code == 200
    assert "Сертификаты по типу и статусу" in own.content.decode()
    assert (
        client.get(f"/cabinet/reports/municipalities/{other.code}/certificates/").status_code == 404
    )
    assert client.get(f"/cabinet/reports/municipalities/{vorkuta.code}/nope/").status_code == 404
    bad = client.get(f"/cabinet/reports/municipalities/{vorkuta.code}/certificates/?month=сентябрь")
    assert bad.status_code == 400 and "ГГГГ-ММ" in bad.content.decode()
    home = client.get("/cabinet/reports/")
    assert home.status_code == 302 and vorkuta.code in home["Location"]


def test_page_exports_each_table_to_xlsx(client, operator, two_towns):
    vorkuta, _ = two_towns
    client.force_login(operator)
    response = client.get(
        f"/cabinet/reports/municipalities/{vorkuta.code}/certificates/?export=xlsx&table=certificates_by_type"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=1)]
    header_at = next(i for i, row in enumerate(rows) if row[0] == "Тип сертификата")
    financing = rows[header_at + 1]
    assert financing[0] == "Сертификат финансирования"
    assert financing[1] == 1 and financing[-1] == 1
    missing = client.get(
        f"/cabinet/reports/municipalities/{vorkuta.code}/certificates/?export=xlsx&table=zzz"
    )
    assert missing.status_code == 404


def test_parents_and_providers_have_no_reports(client, make_user, two_towns):
    vorkuta, _ = two_towns
    for role in ("parent", "provider_staff", "payer", "expert"):
        user = make_user(role, municipality=vorkuta)
        client.force_login(user)
        assert (
            client.get(f"/cabinet/reports/municipalities/{vorkuta.code}/certificates/").status_code
            == 404
        )
        assert client.get("/cabinet/reports/").status_code == 403


def test_api_scopes_and_refuses_bad_filters(api_client, operator, make_user, two_towns):
    vorkuta, other = two_towns
    api_client.force_authenticate(operator)
    own = api_client.get("/api/v1/reports/certificates/")
    assert own.status_code == 200
    body = own.json()
    assert body["filters"]["municipality"] == vorkuta.code
    table = body["tables"][0]
    assert table["rows"][0]["active"] == 1
    assert (
        api_client.get(f"/api/v1/reports/certificates/?municipality={other.code}").status_code
        == 404
    )
    bad = api_client.get("/api/v1/reports/certificates/?month=2026-9")
    assert bad.status_code == 400 and "month" in bad.json()["error"]["fields"]
    # A code that cannot be one (a NUL byte, capitals, too long) is refused as the schema's
    # pattern says: 400 at the field, never the database's error (found by the contract run on
    # PostgreSQL). A well-formed code of no municipality is a 404.
    for code in ("J\x00x", "Vorkuta", "x" * 41, "vorkuta--2", "vorkuta\n"):
        for report in ("certificates", "money", "forecast", "rankings"):
            response = api_client.get(f"/api/v1/reports/{report}/", {"municipality": code})
            assert response.status_code == 400, (report, code, response.status_code)
            assert list(response.json()["error"]["fields"]) == ["municipality"]
    assert api_client.get("/api/v1/reports/money/", {"municipality": "no-such"}).status_code == 404
    # Empty values are absent values; malformed ones are 400s; well-formed ones that name
    # nothing of the municipality (a period, a provider, a month outside the period) are 404s.
    empty = {"municipality": "", "period": "", "month": "", "direction": "", "provider": ""}
    assert api_client.get("/api/v1/reports/certificates/", empty).status_code == 200
    for param, value in [
        ("period", "x"),
        ("period", "0"),
        ("provider", "-1"),
        ("month", "2026-9"),
        ("direction", "cooking"),
    ]:
        bad = api_client.get("/api/v1/reports/certificates/", {param: value})
        assert bad.status_code == 400, (param, value)
        assert list(bad.json()["error"]["fields"]) == [param]
    for param, value in [("period", "999999"), ("provider", "999999"), ("month", "2030-01")]:
        missing = api_client.get("/api/v1/reports/certificates/", {param: value})
        assert missing.status_code == 404, (param, value)
        assert list(missing.json()["error"]["fields"]) == [param]
    regional = make_user("regional_admin", region=vorkuta.region)
    api_client.force_authenticate(regional)
    # Several municipalities and none named: the report asked for is not determined — 404.
    unnamed = api_client.get("/api/v1/reports/certificates/")
    assert unnamed.status_code == 404 and "municipality" in unnamed.json()["error"]["fields"]
    assert (
        api_client.get(f"/api/v1/reports/certificates/?municipality={other.code}").status_code
        == 200
    )
    api_client.force_authenticate(None)
    assert api_client.get("/api/v1/reports/certificates/").status_code in (401, 403)


def test_month_labels_are_short_and_never_run_into_each_other():
    from pfdo.common.months import add_months

    def months(n):
        return Table(
            key="m",
            title="m",
            columns=[Column("month", "Месяц", "month"), Column("n", "N", "int")],
            rows=[{"month": add_months(dt.date(2026, 9, 1), i), "n": i} for i in range(n)],
            chart=Chart("line", "month", ("n",)),
        )

    year = str(charts.render(months(12)))
    assert "сен 26" in year and "авг 27" in year and "сентябрь" not in year
    assert year.count('text-anchor="middle"') == 12  # 12 slots of 47 units hold «сен 26»
    two_years = str(charts.render(months(36)))
    # 36 slots of 16 units: a label every third slot
    assert two_years.count('text-anchor="middle"') == 12
