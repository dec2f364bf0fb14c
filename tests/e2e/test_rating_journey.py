"""Ratings in the browser: a parent rates a finished programme from the cabinet, the operator
publishes the review, and the catalogue shows the programme's average — it is the third
rating, so the average (not only the count) appears — with the review on its page."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from pfdo.billing.tests.factories import ready_group, signed_contract
from pfdo.catalog.models import Program
from pfdo.common import clock
from pfdo.enrolment import services as enrolment
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.ratings import services as ratings
from pfdo.ratings.models import Rating
from tests.e2e.test_login_journeys import log_in, nav

pytestmark = pytest.mark.e2e

PASSWORD = "Ratings-Vorkuta-2026"
REVIEW = "Сын научился паять и собрал своего первого робота."


def _with_password(user):
    user.set_password(PASSWORD)
    user.must_change_password = False
    user.save()
    return user


def log_out(page: Page) -> None:
    with page.expect_navigation():
        nav(page).get_by_role("button", name="Выйти").click()


def test_parent_rates_operator_publishes_catalogue_shows_the_average(page: Page, live_server, komi):
    from pfdo.accounts.tests.factories import UserFactory, grant

    _region, vorkuta = komi
    period = FinancingPeriodFactory(
        municipality=vorkuta, certificate_quota=10, budget_kopecks=100_000_000
    )
    NominalCategoryFactory(period=period, nominal_kopecks=2_417_100)
    # A September course: its contracts complete on 1 October.
    group = ready_group(
        vorkuta,
        price=200_000,
        normative=250_000,
        ends_on=dt.date(2026, 9, 30),
        name="Паяльная мастерская",
    )
    operator = _with_password(UserFactory())
    grant(operator, "operator", municipality=vorkuta)
    families = [
        signed_contract(vorkuta, operator, group, first_name=name)
        for name in ("Олег", "Пётр", "Роман")
    ]
    with clock.frozen(dt.date(2026, 10, 2)):
        enrolment.run_deadlines()
    for family, contract in families[:2]:  # two other families rated already (4 and 5)
        contract.refresh_from_db()
        ratings.rate(
            actor=family.parent,
            contract=contract,
            scores={"teacher_score": 4, "learning_score": 4, "organisation_score": 4},
        )
    family, contract = families[2]
    parent = _with_password(family.parent)
    program = group.module.program
    assert Program.objects.get(pk=program.pk).rating_count == 2

    with clock.frozen(dt.date(2026, 10, 5)):
        # 1. The parent opens «Мои оценки» and rates the finished programme: 5, 5, 5.
        log_in(page, live_server.url, parent.username, PASSWORD)
        nav(page).get_by_role("link", name="Мои оценки").click()
        row = page.get_by_test_id("family-rating-row").filter(has_text="Паяльная мастерская")
        row.get_by_test_id("rate-link").click()
        for criterion in ("Педагог", "Чему научился ребёнок", "Организация занятий"):
            page.get_by_role("group", name=criterion).get_by_label("5", exact=True).check()
        page.get_by_label("Отзыв (по желанию)").fill(REVIEW)
        page.get_by_test_id("rating-submit").click()
        expect(page.get_by_test_id("text-status")).to_contain_text("на проверке у модератора")
        assert Rating.objects.get(contract=contract).text_status == "pending"
        log_out(page)

        # 2. The operator publishes it from the moderation queue.
        log_in(page, live_server.url, operator.username, PASSWORD)
        nav(page).get_by_role("link", name="Отзывы").click()
        item = page.get_by_test_id("moderation-item").filter(has_text=REVIEW)
        item.get_by_test_id("publish").click()
        expect(page.get_by_text("Отзыв опубликован.")).to_be_visible()
        assert Rating.objects.get(contract=contract).text_status == "published"
        log_out(page)

        # 3. Anyone sorts the catalogue by rating: (12 + 12 + 15) / 9 = 4.33 → «4,3 из 5».
        page.goto(live_server.url + "/catalog/?ordering=-rating_avg")
        card = page.locator("article.program-card").filter(has_text="Паяльная мастерская")
        expect(card.get_by_test_id("rating-summary")).to_have_text("4,3 из 5 · 3 оценки")
        card.get_by_role("link", name="Паяльная мастерская").click()
        expect(page.get_by_test_id("rating-summary")).to_have_text("4,3 из 5 · 3 оценки")
        review = page.get_by_test_id("review").filter(has_text=REVIEW)
        expect(review).to_contain_text("Родитель")
        expect(page.get_by_test_id("program-reviews")).not_to_contain_text(parent.last_name)
