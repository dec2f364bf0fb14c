"""Money, forecast and rankings of the dashboard: figures computed by hand on a small world
built through the services (grants, reservations, an invoice, a payment, a period close)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from pfdo.billing import services as billing
from pfdo.billing.tests.factories import approved_period, family, ready_group, signed_contract
from pfdo.billing.tests.factories import staff_of as staff_user
from pfdo.catalog.models import Program
from pfdo.common import clock
from pfdo.ledger.selectors import MoneyFlows
from pfdo.providers.models import Provider
from pfdo.reports.forms import ReportFilterForm
from pfdo.reports.selectors import money, rankings
from pfdo.territory.tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db

SEP, OCT, NOV = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)
START, END = dt.date(2026, 9, 1), dt.date(2027, 8, 31)
NOMINAL = 2_417_100


class World:
    """Budget 10 000 000; three certificates granted 2 417 100 each on 1 Sep 2026 (7 251 300).
    Contract A with provider P (technical): 1 800 000 reserved (200 000 a month, Sep–May);
    contract B with provider Q (arts): 900 000 reserved (100 000 a month). P's October invoice
    accepted on 2 Nov (200 000 charged) and paid on 3 Nov (200 000)."""

    def __init__(self, vorkuta, operator, payer):
        self.period = approved_period(vorkuta, quota=10, nominal=NOMINAL, budget=10_000_000)
        self.group_p = ready_group(
            vorkuta, price=1_800_000, normative=2_000_000, direction="technical"
        )
        self.group_q = ready_group(
            vorkuta, price=900_000, normative=2_000_000, direction="arts", weekday=4
        )
        self.p = self.group_p.module.program.provider
        self.q = self.group_q.module.program.provider
        self.fam_a, self.a = signed_contract(vorkuta, operator, self.group_p)
        self.fam_b, self.b = signed_contract(vorkuta, operator, self.group_q)
        with clock.frozen(SEP):
            self.fam_c = family(vorkuta, operator)
        assert (self.a.certificate_kopecks, self.b.certificate_kopecks) == (1_800_000, 900_000)
        staff = staff_user(self.p)
        with clock.frozen(dt.date(2026, 11, 2)):
            invoice = billing.build_invoice(actor=staff, provider=self.p, month=OCT)
            billing.submit_invoice(actor=staff, invoice=invoice)
            self.invoice = billing.accept_invoice(actor=payer, invoice=invoice)
        assert self.invoice.payable_kopecks == 200_000
        with clock.frozen(dt.date(2026, 11, 3)):
            billing.record_payment(
                actor=payer,
                document=self.invoice,
                order_number="17",
                paid_on=dt.date(2026, 11, 3),
                amount_kopecks=200_000,
            )

    def close(self, operator):
        with clock.frozen(dt.date(2027, 9, 2)):
            billing.close_period(actor=operator, period=self.period)

    def filters(self, **data):
        form = ReportFilterForm(
            {"period": self.period.pk, **data}, municipality=self.period.municipality
        )
        return form.filters()


@pytest.fixture
def payer(make_user, vorkuta):
    return make_user("payer", municipality=vorkuta)


@pytest.fixture
def world(vorkuta, operator, payer):
    return World(vorkuta, operator, payer)


def amounts(table) -> dict[str, int | None]:
    return {row["key"]: row["amount"] for row in table.rows}


def test_period_money_by_hand(world, operator):
    world.close(operator)
    with clock.frozen(dt.date(2027, 9, 3)):
        tables = money.tables(world.filters())
    summary, months = tables[0], tables[1]
    # Lapsed at the close (2 Sep 2027), each certificate's unreserved money: A 2 417 100 −
    # 1 800 000 = 617 100; B 2 417 100 − 900 000 = 1 517 100; C 2 417 100: 4 551 300.
    # Open reservations: 1 800 000 + 900 000 − 200 000 charged = 2 500 000 (the months never
    # billed stay reserved); commitments 2 500 000 + 200 000 = 2 700 000.
    assert amounts(summary) == {
        "budget": 10_000_000,
        "granted": 3 * NOMINAL,
        "revoked": 0,
        "reserved": 2_500_000,
        "charged": 200_000,
        "paid": 200_000,
        "lapsed": 4_551_300,
        "committed": 2_700_000,
    }
    shares = {row["key"]: row["share"] for row in summary.rows}
    assert str(shares["committed"]) == "27.00"  # 2 700 000 / 10 000 000
    by_month = {row["month"]: row for row in months.rows}
    assert by_month[SEP]["granted"] == 7_251_300 and by_month[SEP]["reserved"] == 2_700_000
    assert by_month[OCT]["reserved"] == 0 and by_month[OCT]["committed"] == 2_700_000
    assert (by_month[NOV]["charged"], by_month[NOV]["paid"]) == (200_000, 200_000)
    # The lapse is dated after the period's last month: the table goes on to show it.
    assert by_month[dt.date(2027, 9, 1)]["lapsed"] == 4_551_300
    assert sum(row["lapsed"] for row in months.rows) == 4_551_300
    assert months.rows[0]["month"] == SEP


def test_provider_and_direction_narrow_what_they_can(world):
    with clock.frozen(dt.date(2026, 11, 28)):
        by_p = amounts(money.tables(world.filters(provider=world.p.pk))[0])
        arts = amounts(money.tables(world.filters(direction="arts"))[0])
        in_oct = money.tables(world.filters(month="2026-10"))
    # Provider P: contract A's 1 800 000 reserved, 200 000 of it charged and paid; the budget,
    # grants and lapses are no provider's.
    assert by_p == {
        "budget": None,
        "granted": None,
        "revoked": None,
        "reserved": 1_600_000,
        "charged": 200_000,
        "paid": 200_000,
        "lapsed": None,
        "committed": 1_800_000,
    }
    # Arts: contract B only (900 000, nothing billed); payments are per invoice, not split.
    assert arts["reserved"] == 900_000 and arts["charged"] == 0 and arts["paid"] is None
    # Up to the end of October: nothing charged yet; the month table keeps October alone.
    assert amounts(in_oct[0])["charged"] == 0 and amounts(in_oct[0])["reserved"] == 2_700_000
    assert [row["month"] for row in in_oct[1].rows] == [OCT]


def test_forecast_of_the_world_by_hand(world):
    with clock.frozen(dt.date(2026, 11, 28)):
        verdict, chart = money.forecast_only(world.filters(provider=world.p.pk))
    row = verdict.rows[0]
    # Pace: full months before November — September and October (1 Sep–31 Oct, 61 days) —
    # reserved 2 700 000 net. Committed 2 700 000. Days left 28 Nov 2026 → 31 Aug 2027: 276.
    # Projected 2 700 000 + 2 700 000 × 276 // 61 = 2 700 000 + 12 216 393 = 14 916 393 >
    # 10 000 000. Runs out after ceil((10 000 000 − 2 700 000) × 61 / 2 700 000) = ceil(164.93)
    # = 165 days: 28 Nov 2026 + 165 days = 12 May 2027. The provider filter does not apply.
    assert row["verdict"] == "не хватит"
    assert row["committed"] == 2_700_000 and row["budget"] == 10_000_000
    assert row["projected"] == 14_916_393
    assert row["margin"] == 10_000_000 - 14_916_393
    assert row["runs_out_on"] == dt.date(2027, 5, 12)
    assert row["pace"] == 2_700_000 * 30 // 61  # 1 327 868 a month
    assert "Бюджет закончится около 12.05.2027" in verdict.note
    months = {r["month"]: r for r in chart.rows}
    assert months[OCT]["committed"] == 2_700_000 and months[OCT]["projected"] is None
    # November's end (2 days after the 28th): 2 700 000 + 2 700 000 × 2 // 61 = 2 788 524.
    assert months[NOV]["projected"] == 2_788_524
    assert months[dt.date(2027, 8, 1)]["projected"] == 14_916_393
    assert months[dt.date(2027, 8, 1)]["committed"] is None
    assert chart.chart.target == 10_000_000


def flows(reserved=0, released=0, charged=0) -> MoneyFlows:
    return MoneyFlows(reserved_kopecks=reserved, released_kopecks=released, charged_kopecks=charged)


def run(by_month, on, budget=20_000_000):
    return money.forecast(
        budget_kopecks=budget, by_month=by_month, starts_on=START, ends_on=END, on=on
    )


def test_forecast_without_reservations_lasts_with_the_whole_budget():
    result = run({}, dt.date(2026, 10, 15), budget=1_000_000)
    assert result.status == "lasts" and result.runs_out_on is None
    assert (result.committed_kopecks, result.pace_kopecks_per_month) == (0, 0)
    assert result.margin_kopecks == 1_000_000
    assert "Хватит до конца периода" in result.sentence()


def test_forecast_in_the_first_month_uses_its_days():
    # 10 Sep: 300 000 reserved in 10 days; days left to 31 Aug 2027: 355.
    # Projected 300 000 + 300 000 × 355 // 10 = 10 950 000 ≤ 20 000 000: lasts, margin
    # 9 050 000; the pace per 30 days 900 000.
    result = run({SEP: flows(reserved=300_000)}, dt.date(2026, 9, 10))
    assert result.status == "lasts"
    assert result.pace_window == (START, dt.date(2026, 9, 10))
    assert result.projected_kopecks == 10_950_000 and result.margin_kopecks == 9_050_000
    assert result.pace_kopecks_per_month == 900_000


def test_forecast_takes_the_last_three_full_months_net_of_releases():
    # On 20 Feb 2027: Nov, Dec, Jan (92 days); reserved 100 000 + 100 000 + 200 000 − 40 000
    # released = 360 000 net. September's 5 000 000 falls outside the window but counts in the
    # commitments: 5 000 000 + 400 000 − 40 000 = 5 360 000. Days left 20 Feb → 31 Aug: 192.
    # Projected 5 360 000 + 360 000 × 192 // 92 = 5 360 000 + 751 304 = 6 111 304.
    by_month = {
        SEP: flows(reserved=5_000_000),
        NOV: flows(reserved=100_000),
        dt.date(2026, 12, 1): flows(reserved=100_000),
        dt.date(2027, 1, 1): flows(reserved=200_000, released=40_000),
    }
    result = run(by_month, dt.date(2027, 2, 20), budget=6_000_000)
    assert result.pace_window == (NOV, dt.date(2027, 1, 31))
    assert result.committed_kopecks == 5_360_000
    assert result.projected_kopecks == 6_111_304
    assert result.status == "runs_out"
    # ceil((6 000 000 − 5 360 000) × 92 / 360 000) = ceil(163.56) = 164 days → 3 Aug 2027.
    assert result.runs_out_on == dt.date(2027, 8, 3)


def test_forecast_when_exhausted_ended_or_without_budget():
    exhausted = run({SEP: flows(reserved=2_000_000)}, dt.date(2026, 12, 1), budget=2_000_000)
    assert exhausted.status == "exhausted" and exhausted.runs_out_on == dt.date(2026, 12, 1)
    assert "Бюджет исчерпан" in exhausted.sentence()
    ended = run({SEP: flows(reserved=500_000, charged=0)}, dt.date(2027, 9, 2), budget=800_000)
    assert ended.status == "ended" and ended.margin_kopecks == 300_000
    assert "Период завершён" in ended.sentence()
    assert run({}, dt.date(2026, 10, 1), budget=0).status == "no_budget"


def test_money_page_api_and_xlsx(client, api_client, world, operator, vorkuta):
    other = MunicipalityFactory(region=vorkuta.region, code="inta", name="Инта", number=3)
    approved_period(other)
    client.force_login(operator)
    base = f"/cabinet/reports/municipalities/{vorkuta.code}/money/"
    with clock.frozen(dt.date(2026, 11, 28)):
        page = client.get(f"{base}?period={world.period.pk}&provider={world.p.pk}&month=2026-11")
        book = client.get(f"{base}?period={world.period.pk}&export=xlsx&table=money_summary")
        api_client.force_authenticate(operator)
        forecast = api_client.get("/api/v1/reports/forecast/")
        foreign = api_client.get(f"/api/v1/reports/money/?municipality={other.code}")
        foreign_forecast = api_client.get(f"/api/v1/reports/forecast/?municipality={other.code}")
        foreign_page = client.get(f"/cabinet/reports/municipalities/{other.code}/money/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Деньги периода" in text and "Прогноз" in text and "<svg" in text
    assert foreign.status_code == 404 and foreign_forecast.status_code == 404
    assert foreign_page.status_code == 404
    assert forecast.status_code == 200
    body = forecast.json()
    assert body["section"] == "forecast"
    assert body["tables"][0]["rows"][0]["runs_out_on"] == "2027-05-12"
    sheet = load_workbook(io.BytesIO(book.content)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(rows) if row[0] == "Показатель")
    assert rows[header + 1][0] == "Бюджет периода"
    assert rows[header + 1][1] == pytest.approx(100_000)  # 10 000 000 kopecks in roubles
    assert rows[header + 2][1] == pytest.approx(72_513)  # granted 7 251 300 kopecks
    assert rows[header + 2][2] == pytest.approx(0.7251)  # 72.51 % (two decimals) as a fraction
    assert sheet.cell(row=header + 2, column=3).number_format == "0.00%"


def test_rankings_by_enrolment_and_rating(world, vorkuta, operator):
    # A second contract with P (technical) makes P first: 2 contracts against Q's 1.
    signed_contract(vorkuta, operator, world.group_p)
    Program.objects.filter(pk=world.group_p.module.program_id).update(
        rating_avg="4.50", rating_count=3
    )
    Program.objects.filter(pk=world.group_q.module.program_id).update(
        rating_avg="5.00", rating_count=2
    )
    Provider.objects.filter(pk=world.q.pk).update(rating_avg="4.80", rating_count=7)
    with clock.frozen(dt.date(2026, 11, 28)):
        tables = {t.key: t for t in rankings.tables(world.filters())}
        arts = {t.key: t for t in rankings.tables(world.filters(direction="arts"))}
    providers = tables["providers_by_enrolment"].rows
    assert [(r["name"], r["contracts"], r["children"]) for r in providers] == [
        (world.p.short_name, 2, 2),
        (world.q.short_name, 1, 1),
    ]
    assert tables["programs_by_enrolment"].rows[0]["contracts"] == 2
    # Q's programme has 2 ratings only: not ranked, however high.
    rated = tables["programs_by_rating"].rows
    assert [(r["name"], str(r["rating"]), r["ratings"]) for r in rated] == [
        (world.group_p.module.program.name, "4.50", 3)
    ]
    assert [r["name"] for r in tables["providers_by_rating"].rows] == [world.q.short_name]
    assert [r["name"] for r in arts["providers_by_enrolment"].rows] == [world.q.short_name]
    assert arts["programs_by_rating"].rows == []


def test_money_section_queries_do_not_grow_with_contracts(
    world, vorkuta, operator, django_assert_max_num_queries
):
    def count():
        with clock.frozen(dt.date(2026, 11, 28)):
            filters = world.filters()
            with django_assert_max_num_queries(8) as ctx:
                money.tables(filters)
                rankings.tables(filters)
        return len(ctx.captured_queries)

    small = count()
    # One more certificate fits the budget (4 × 2 417 100 ≤ 10 000 000): a new provider with
    # its own programme and contract.
    signed_contract(vorkuta, operator, ready_group(vorkuta, price=600_000, weekday=5))
    assert count() == small
