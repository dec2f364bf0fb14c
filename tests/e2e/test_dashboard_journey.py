"""The operator's dashboard in the browser: coverage against the 25 % target read on the chart,
the monthly table downloaded as XLSX, and no sideways scrolling on a phone."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from pfdo.common import clock
from pfdo.demo.accounts import DEMO_PASSWORD
from pfdo.financing.models import FinancingPeriod
from pfdo.reports.selectors import coverage
from pfdo.territory.models import Municipality
from tests.e2e.test_login_journeys import log_in, nav

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite]


def percent_text(value) -> str:
    return f"{value:.2f}".replace(".", ",") + "\u00a0%"


def test_operator_reads_coverage_against_25_and_downloads_it(page: Page, live_server, demo):
    vorkuta = Municipality.objects.get(code="vorkuta")
    period = FinancingPeriod.objects.filter(municipality=vorkuta).covering(clock.today()).get()
    expected = coverage.summaries([(vorkuta, period)], clock.today())[vorkuta.pk]
    assert expected.population == 9_950 and expected.holders > 0  # the demo's families

    log_in(page, live_server.url, "operator", DEMO_PASSWORD)
    nav(page).get_by_role("link", name="Показатели").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Показатели: Воркута")
    expect(page.get_by_role("link", name="Охват")).to_have_attribute("aria-current", "page")

    # The big figure: today's share of children holding a certificate, against 25 %.
    headline = page.locator('[data-figure="1"]')
    expect(headline.locator(".figure-value")).to_have_text(percent_text(expected.holders_share))
    expect(headline).to_contain_text("цель 25 % не достигнута")

    # The monthly chart draws the dashed 25 % target line and labels it.
    monthly = page.locator("#table-coverage_by_month")
    chart = monthly.locator("svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("line.target")).to_have_count(1)
    expect(chart.locator("text.target-label")).to_have_text("цель 25 %")
    expect(monthly.get_by_role("region")).to_contain_text(f"{expected.holders}")

    # The XLSX of that table, cell by cell against the figures.
    with page.expect_download() as info:
        monthly.get_by_role("link", name="XLSX").click()
    sheet = load_workbook(info.value.path()).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "Охват по месяцам"
    header_at = next(i for i, row in enumerate(rows) if row[0] == "Месяц")
    assert rows[header_at][:4] == [
        "Месяц",
        "Детей 5–17 лет",
        "Держат сертификат",
        "Доля держателей",
    ]
    last = rows[-1]
    assert last[0].date() == clock.today().replace(day=1)
    assert last[1:3] == [9_950, expected.holders]
    assert last[3] == pytest.approx(float(expected.holders_share) / 100, abs=1e-4)
    assert last[6] == pytest.approx(0.25) and last[7] == "нет"

    # A phone: the page does not scroll sideways; wide tables scroll in their own region.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(headline).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
