"""Pages of financing periods: list, forms with field errors, lock, nominals, approval, calculator."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from pfdo.audit.models import ActionLog
from pfdo.financing import services
from pfdo.financing.models import FinancingPeriod, NominalCategory
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.territory.tests.factories import MunicipalityFactory

DRAFT = FinancingPeriod.Status.DRAFT


def form_data(**overrides):
    data = {
        "name": "ПФДО 2026/27",
        "starts_on": "2026-09-01",
        "ends_on": "2027-08-31",
        "certificate_quota": "2500",
        "budget_kopecks": "91 000 000,00",
        "scale_nominal_by_months": "on",
        "accounting_program_limit": "2",
        "billing_basis": "contract_months",
        "boundary_month_rule": "full",
        "advance_share_percent": "80",
        "advance_from_working_day": "2",
        "payment_term_working_days": "5",
        "december_invoice_in_december": "on",
        "decision_days": "3",
        "offer_days": "3",
        "freeze_days": "0",
        "base_technical_kopecks": "160",
        "base_natural_science_kopecks": "150,00",
        "base_sports_kopecks": "120",
        "base_arts_kopecks": "130",
        "base_tourism_kopecks": "125,50",
        "base_social_kopecks": "110",
    }
    for name in services.COEFFICIENT_FIELDS:
        data[name] = "1"
    data["k_north"] = "1,6"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def errors_of(response, field):
    """Messages rendered under `field` on the page."""
    html = response.content.decode()
    match = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


def test_list_shows_own_municipality_drafts_only(client, operator, vorkuta, region):
    FinancingPeriodFactory(municipality=vorkuta, name="Воркута-черновик", status=DRAFT)
    FinancingPeriodFactory(municipality=MunicipalityFactory(region=region), name="Чужой")
    client.force_login(operator)
    text = client.get(reverse("financing:period_list")).content.decode()
    assert "Воркута-черновик" in text and "Чужой" not in text
    assert reverse("financing:period_create") in text


@pytest.mark.parametrize("role", ["parent", "provider_staff", "expert"])
def test_list_is_closed_to_other_roles(client, make_user, vorkuta, role):
    client.force_login(make_user(role, municipality=vorkuta))
    assert client.get(reverse("financing:period_list")).status_code == 403
    assert client.get(reverse("financing:period_create")).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("financing:period_list"))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_create_form_is_grouped_and_converts_roubles_exactly(client, operator, vorkuta):
    client.force_login(operator)
    page = client.get(reverse("financing:period_create")).content.decode()
    for legend in (
        "Сроки, квота и бюджет",
        "Оплата поставщикам",
        "Базовый норматив",
        "Корректирующие коэффициенты",
    ):
        assert legend in page
    response = client.post(reverse("financing:period_create"), form_data())
    period = FinancingPeriod.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "financing:period_detail", args=[period.pk]
    )
    assert period.municipality == vorkuta and period.status == DRAFT
    assert period.budget_kopecks == 9_100_000_000
    assert (period.base_tourism_kopecks, period.base_natural_science_kopecks) == (12_550, 15_000)
    assert str(period.k_north) == "1.600"


def test_create_shows_field_errors_and_saves_nothing(client, operator):
    client.force_login(operator)
    response = client.post(
        reverse("financing:period_create"),
        form_data(
            ends_on="2026-08-01",
            budget_kopecks="-5",
            base_arts_kopecks="12,345",
            k_north="0",
            k_network="abc",
            advance_share_percent="150",
        ),
    )
    assert response.status_code == 200
    assert errors_of(response, "budget_kopecks") == ["Сумма не может быть отрицательной."]
    assert errors_of(response, "base_arts_kopecks") == [
        "Не больше двух знаков после запятой (копейки)."
    ]
    assert errors_of(response, "k_north") == ["Коэффициент должен быть больше нуля."]
    assert errors_of(response, "k_network") == ["Введите число, например 1,2."]
    assert errors_of(response, "advance_share_percent")
    assert not FinancingPeriod.objects.exists()


def test_create_shows_service_errors_on_their_fields(client, operator, vorkuta):
    FinancingPeriodFactory(municipality=vorkuta)
    client.force_login(operator)
    overlap = client.post(
        reverse("financing:period_create"), form_data(starts_on="2027-08-31", ends_on="2028-08-31")
    )
    assert "пересекается с «ПФДО 2026/27»" in errors_of(overlap, "starts_on")[0]
    dates = client.post(
        reverse("financing:period_create"), form_data(starts_on="2030-09-01", ends_on="2030-09-01")
    )
    assert errors_of(dates, "ends_on") == ["Окончание периода должно быть позже начала."]
    assert FinancingPeriod.objects.count() == 1


def test_edit_is_audited(client, operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta, status=DRAFT)
    client.force_login(operator)
    page = client.get(reverse("financing:period_edit", args=[period.pk])).content.decode()
    assert 'value="2 417 100,00"' in page  # 241 710 000 kopecks shown as roubles
    response = client.post(
        reverse("financing:period_edit", args=[period.pk]),
        form_data(budget_kopecks="2 000 000,50", certificate_quota="50", name="Новое имя"),
    )
    assert response.status_code == 302
    period.refresh_from_db()
    assert (period.name, period.budget_kopecks) == ("Новое имя", 200_000_050)
    changes = ActionLog.objects.get(action="financing.period_updated").details["changes"]
    assert changes["name"] == {"old": "ПФДО 2026/27", "new": "Новое имя"}
    assert changes["budget_kopecks"] == {"old": 241_710_000, "new": 200_000_050}


def test_locked_period_shows_money_fields_disabled_with_the_reason(client, operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)
    NominalCategoryFactory(period=period)
    services.mark_commitments_started(period=period)
    client.force_login(operator)
    page = client.get(reverse("financing:period_edit", args=[period.pk])).content.decode()
    assert "По периоду уже заключены договоры или начислены номиналы" in page
    assert re.search(r'name="advance_share_percent"[^>]*disabled', page)
    # Issue 12: the quota and the budget stay amendable (test_amendments.py).
    assert not re.search(r'name="budget_kopecks"[^>]*disabled', page)
    assert not re.search(r'name="k_north"[^>]*disabled', page)
    # A forged POST for a disabled field is ignored; the unlocked field is saved.
    response = client.post(
        reverse("financing:period_edit", args=[period.pk]),
        form_data(
            budget_kopecks="2 417 100,00",
            certificate_quota="100",
            advance_share_percent="10",
            k_north="1,7",
        ),
    )
    assert response.status_code == 302
    period.refresh_from_db()
    assert (period.advance_share_percent, str(period.k_north)) == (80, "1.700")
    detail = client.get(reverse("financing:period_detail", args=[period.pk])).content.decode()
    assert 'data-testid="lock-reason"' in detail
    assert reverse("financing:nominal_create", args=[period.pk]) not in detail


def test_edit_scope_404_and_403(client, make_user, vorkuta, region):
    inta = MunicipalityFactory(region=region, code="inta")
    draft = FinancingPeriodFactory(municipality=vorkuta, status=DRAFT)
    approved = FinancingPeriodFactory(
        municipality=vorkuta, starts_on=dt.date(2027, 9, 1), ends_on=dt.date(2028, 8, 31)
    )
    client.force_login(make_user("operator", municipality=inta))
    assert client.get(reverse("financing:period_detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("financing:period_edit", args=[draft.pk])).status_code == 404
    assert client.get(reverse("financing:period_detail", args=[approved.pk])).status_code == 200
    assert client.get(reverse("financing:period_edit", args=[approved.pk])).status_code == 403
    for role in ("parent", "provider_staff"):
        client.force_login(make_user(role, municipality=vorkuta))
        assert client.get(reverse("financing:period_edit", args=[approved.pk])).status_code == 403
        assert (
            client.post(
                reverse("financing:period_edit", args=[approved.pk]), form_data(name="x")
            ).status_code
            == 403
        )
        assert client.post(reverse("financing:period_approve", args=[draft.pk])).status_code == 404
    approved.refresh_from_db()
    assert approved.name == "ПФДО 2026/27"


def test_public_page_of_an_approved_period_with_calculator(client, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta, k_north="1.600")
    NominalCategoryFactory(period=period)
    url = reverse("financing:period_detail", args=[period.pk])
    page = client.get(url).content.decode()
    # quota 100 × nominal 24 171,00 ₽
    assert re.search(r'data-testid="largest-promise"[^>]*>2\u00a0417\u00a0100,00\u00a0₽', page)
    assert "Изменить параметры" not in page
    result = client.get(
        url,
        {
            "direction": "technical",
            "hours": "72",
            "form": "full_time",
            "legal_form": "municipal",
            "qualification": "none",
        },
    ).content.decode()
    # 72 h × 150,00 ₽ × 1.6 = 17 280,00 ₽
    assert 'data-testid="normative-total">17\u00a0280,00\u00a0₽' in result
    assert "районный коэффициент и северная надбавка" in result
    bad = client.get(url, {"direction": "technical", "hours": "0"}).content.decode()
    assert 'data-testid="normative"' not in bad and 'id="id_hours_error"' in bad
    draft = FinancingPeriodFactory(municipality=MunicipalityFactory(), status=DRAFT)
    assert client.get(reverse("financing:period_detail", args=[draft.pk])).status_code == 404


@pytest.mark.parametrize(
    ("limit", "words"),
    [(1, "1 бюджетную программу"), (2, "2 бюджетные программы"), (5, "5 бюджетных программ")],
)
def test_public_period_page_reads_plainly(client, operator, vorkuta, limit, words):
    # The public page showed the operator's red warning about locked fields, "право на 2
    # бюджетных программ" and ages in months ("60–216 мес.").
    period = FinancingPeriodFactory(
        municipality=vorkuta,
        accounting_program_limit=limit,
        commitments_started_at=dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC),
    )
    NominalCategoryFactory(period=period, age_from_months=60, age_to_months=216)
    url = reverse("financing:period_detail", args=[period.pk])
    page = client.get(url).content.decode()
    assert f"Сертификат учёта даёт право на {words}" in page
    assert re.search(r'data-testid="category-age">5–18 лет<', page)
    assert "мес.</td>" not in page
    assert 'data-testid="lock-reason"' not in page and "закрыто для правки" not in page
    client.force_login(operator)
    assert 'data-testid="lock-reason"' in client.get(url).content.decode()


def test_approve_from_the_page(client, operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta, status=DRAFT)
    client.force_login(operator)
    url = reverse("financing:period_approve", args=[period.pk])
    assert client.get(url).status_code == 405
    refused = client.post(url, follow=True).content.decode()
    assert "Нужна хотя бы одна категория номинала." in refused
    period.refresh_from_db()
    assert period.status == DRAFT
    NominalCategoryFactory(period=period)
    done = client.post(url, follow=True).content.decode()
    assert "Период утверждён." in done
    period.refresh_from_db()
    assert period.status == FinancingPeriod.Status.APPROVED


def test_nominal_category_pages(client, operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta, status=DRAFT)
    client.force_login(operator)
    add_url = reverse("financing:nominal_create", args=[period.pk])
    bad = client.post(
        add_url,
        {
            "name": "Дети",
            "age_from_months": "120",
            "age_to_months": "60",
            "nominal_kopecks": "24 171,00",
        },
    )
    assert errors_of(bad, "age_to_months") == [
        "Верхняя граница возраста должна быть больше нижней."
    ]
    bad_money = client.post(
        add_url,
        {"name": "Дети", "age_from_months": "60", "age_to_months": "216", "nominal_kopecks": "24к"},
    )
    assert errors_of(bad_money, "nominal_kopecks") == [
        "Введите сумму в рублях, например 24 171,00."
    ]
    assert not NominalCategory.objects.exists()
    ok = client.post(
        add_url,
        {
            "name": "Дети 5–18",
            "age_from_months": "60",
            "age_to_months": "216",
            "nominal_kopecks": "24 171,00",
        },
    )
    assert ok.status_code == 302
    category = NominalCategory.objects.get()
    assert category.nominal_kopecks == 2_417_100
    overlap = client.post(
        add_url,
        {
            "name": "Вторая",
            "age_from_months": "100",
            "age_to_months": "150",
            "nominal_kopecks": "1",
        },
    )
    assert "пересекается с категорией «Дети 5–18»" in errors_of(overlap, "age_from_months")[0]
    edit_url = reverse("financing:nominal_edit", args=[period.pk, category.pk])
    assert 'value="24 171,00"' in client.get(edit_url).content.decode()
    client.post(
        edit_url,
        {
            "name": "Дети 5–18",
            "age_from_months": "60",
            "age_to_months": "216",
            "nominal_kopecks": "30000",
        },
    )
    category.refresh_from_db()
    assert category.nominal_kopecks == 3_000_000
    client.post(reverse("financing:nominal_delete", args=[period.pk, category.pk]))
    assert not NominalCategory.objects.exists()


def test_nominal_pages_refuse_other_periods_categories(client, operator, vorkuta):
    mine = FinancingPeriodFactory(municipality=vorkuta, status=DRAFT)
    theirs = NominalCategoryFactory(
        period=FinancingPeriodFactory(municipality=MunicipalityFactory(), status=DRAFT)
    )
    client.force_login(operator)
    # The category exists but belongs to a period outside the operator's scope.
    assert (
        client.get(reverse("financing:nominal_edit", args=[mine.pk, theirs.pk])).status_code == 404
    )
    assert (
        client.post(
            reverse("financing:nominal_delete", args=[theirs.period_id, theirs.pk])
        ).status_code
        == 404
    )
    assert NominalCategory.objects.filter(pk=theirs.pk).exists()


def test_locked_period_nominal_form_shows_the_reason(client, operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)
    category = NominalCategoryFactory(period=period)
    services.mark_commitments_started(period=period)
    client.force_login(operator)
    response = client.post(
        reverse("financing:nominal_edit", args=[period.pk, category.pk]),
        {
            "name": category.name,
            "age_from_months": "60",
            "age_to_months": "216",
            "nominal_kopecks": "1,00",
        },
    )
    assert response.status_code == 200
    assert "По периоду уже заключены договоры или начислены номиналы" in response.content.decode()
    category.refresh_from_db()
    assert category.nominal_kopecks == 2_417_100
