"""The regional administrator compares the municipalities of the region side by side — coverage
against the 25 % target, certificates and money — and drills down into one municipality's
dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from pfdo.certificates.tests.factories import approved_period, issue_certificate
from pfdo.common import clock
from pfdo.reports.models import ChildPopulation
from pfdo.territory.tests.factories import MunicipalityFactory
from tests.e2e.test_login_journeys import log_in

pytestmark = pytest.mark.e2e

PASSWORD = "Region-Komi-2026"


def test_regional_admin_compares_municipalities_and_drills_down(page: Page, live_server, komi):
    from pfdo.accounts.tests.factories import UserFactory, grant

    region, vorkuta = komi
    inta = MunicipalityFactory(region=region, code="inta-e2e", name="Инта-тест", number=90)
    for municipality, certificates in ((vorkuta, 2), (inta, 1)):
        approved_period(municipality, quota=10, nominal=2_417_100, budget=30_000_000)
        operator = UserFactory()
        grant(operator, "operator", municipality=municipality)
        for _ in range(certificates):
            parent = UserFactory()
            grant(parent, "parent", municipality=municipality)
            with clock.frozen(dt.date(2026, 9, 1)):
                issue_certificate(operator=operator, municipality=municipality, parent=parent)
    # Vorkuta: 2 holders (aged 10) of 8 children of 5–17 → 25,00 %; Инта: 1 of 10 → 10,00 %.
    ChildPopulation.objects.create(municipality=vorkuta, year=2026, age=10, children=8)
    ChildPopulation.objects.create(municipality=inta, year=2026, age=10, children=10)
    admin = UserFactory()
    grant(admin, "regional_admin", region=region)
    admin.set_password(PASSWORD)
    admin.must_change_password = False
    admin.save()

    with clock.frozen(dt.date(2026, 10, 15)):
        log_in(page, live_server.url, admin.username, PASSWORD)
        page.goto(live_server.url + "/cabinet/reports/")
        expect(page).to_have_url(live_server.url + "/cabinet/reports/region/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Показатели региона")

        vorkuta_row = page.locator(f'tr[data-municipality="{vorkuta.code}"]')
        inta_row = page.locator(f'tr[data-municipality="{inta.code}"]')
        expect(vorkuta_row).to_contain_text("25,00\u00a0%")
        expect(vorkuta_row).to_contain_text("300\u00a0000,00")  # the budget, 30 000 000 kopecks
        expect(inta_row).to_contain_text("10,00\u00a0%")
        # The chart's dashed target line is labelled; the running share against 50 %.
        chart = page.locator("#table-region_municipalities svg")
        expect(chart).to_contain_text("цель 25 %")
        expect(page.locator("#table-region_running")).to_contain_text("цель 50 %")

        with page.expect_navigation():
            inta_row.get_by_role("link", name=inta.name).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Показатели: {inta.name}")
        assert f"/cabinet/reports/municipalities/{inta.code}/coverage/" in page.url
