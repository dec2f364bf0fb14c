"""API of financing periods: public reads, officials' writes, error bodies, scoping."""

import datetime as dt

import pytest

from pfdo.audit.models import ActionLog
from pfdo.financing import services
from pfdo.financing.models import FinancingPeriod, NominalCategory
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.territory.tests.factories import MunicipalityFactory

URL = "/api/v1/financing-periods/"
DRAFT = FinancingPeriod.Status.DRAFT


def detail(period):
    return f"{URL}{period.pk}/"


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def create_body(**overrides):
    body = {
        "municipality": "vorkuta",
        "name": "ПФДО 2026/27",
        "starts_on": "2026-09-01",
        "ends_on": "2027-08-31",
        "certificate_quota": 2500,
        "budget_kopecks": 9_100_000_000,
        "base_technical_kopecks": 16_000,
        "base_natural_science_kopecks": 15_000,
        "base_sports_kopecks": 12_000,
        "base_arts_kopecks": 13_000,
        "base_tourism_kopecks": 12_500,
        "base_social_kopecks": 11_000,
        "k_north": "1.6",
        "advance_share_percent": 70,
    }
    body.update(overrides)
    return body


@pytest.fixture
def periods(vorkuta, region):
    inta = MunicipalityFactory(region=region, code="inta")
    approved = FinancingPeriodFactory(municipality=vorkuta)
    NominalCategoryFactory(period=approved, name="Дети 5–18 лет")
    closed = FinancingPeriodFactory(
        municipality=vorkuta,
        status=FinancingPeriod.Status.CLOSED,
        name="ПФДО 2025/26",
        starts_on=dt.date(2025, 9, 1),
        ends_on=dt.date(2026, 8, 31),
    )
    draft = FinancingPeriodFactory(
        municipality=vorkuta,
        status=DRAFT,
        name="ПФДО 2027/28",
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
    )
    inta_approved = FinancingPeriodFactory(municipality=inta, name="Инта 2026/27")
    inta_draft = FinancingPeriodFactory(
        municipality=inta,
        status=DRAFT,
        name="Инта 2027/28",
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
    )
    return {
        "approved": approved,
        "closed": closed,
        "draft": draft,
        "inta": inta_approved,
        "inta_draft": inta_draft,
    }


def names(response):
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_anonymous_sees_only_approved_and_closed(api_client, periods):
    assert names(api_client.get(URL)) == {"ПФДО 2026/27", "ПФДО 2025/26", "Инта 2026/27"}
    assert_error(api_client.get(detail(periods["draft"])), 404, "not_found")
    body = api_client.get(detail(periods["approved"])).json()
    assert body["municipality"] == "vorkuta"
    assert body["budget_kopecks"] == 241_710_000 and isinstance(body["budget_kopecks"], int)
    assert body["k_north"] == "1.000"
    assert body["nominal_categories"] == [
        {
            "id": periods["approved"].nominal_categories.get().pk,
            "name": "Дети 5–18 лет",
            "age_from_months": 60,
            "age_to_months": 216,
            "disability_only": False,
            "nominal_kopecks": 2_417_100,
        }
    ]
    assert body["largest_promise_kopecks"] == 100 * 2_417_100
    assert body["is_locked"] is False and body["status"] == "approved"


def test_filters(api_client, periods):
    assert names(api_client.get(URL, {"municipality": "inta"})) == {"Инта 2026/27"}
    assert names(api_client.get(URL, {"municipality": "vorkuta", "active_on": "2026-09-01"})) == {
        "ПФДО 2026/27"
    }
    assert names(api_client.get(URL, {"active_on": "2026-08-31"})) == {"ПФДО 2025/26"}
    error = assert_error(api_client.get(URL, {"active_on": "31.13.2026"}), 400, "validation_error")
    assert "active_on" in error["fields"]


def test_officials_also_see_their_drafts(api_client, periods, operator, make_user, vorkuta):
    api_client.force_authenticate(operator)
    assert "ПФДО 2027/28" in names(api_client.get(URL))
    assert "Инта 2027/28" not in names(api_client.get(URL))
    assert api_client.get(detail(periods["draft"])).status_code == 200
    assert_error(api_client.get(detail(periods["inta_draft"])), 404, "not_found")
    api_client.force_authenticate(make_user("parent", municipality=vorkuta))
    assert "ПФДО 2027/28" not in names(api_client.get(URL))


def test_operator_creates_a_draft(api_client, operator, vorkuta):
    api_client.force_authenticate(operator)
    response = api_client.post(URL, create_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["municipality"] == "vorkuta"
    assert body["budget_kopecks"] == 9_100_000_000
    assert body["k_north"] == "1.600" and body["k_form_full_time"] == "1.000"
    assert body["advance_share_percent"] == 70 and body["nominal_categories"] == []
    period = FinancingPeriod.objects.get(pk=body["id"])
    assert period.municipality == vorkuta
    assert ActionLog.objects.filter(
        action="financing.period_created", object_id=str(period.pk)
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": "2026-08-01"}, "ends_on"),
        ({"budget_kopecks": -1}, "budget_kopecks"),
        ({"budget_kopecks": 10.5}, "budget_kopecks"),
        ({"k_north": "0"}, "k_north"),
        ({"k_north": "1.2345"}, "k_north"),
        ({"advance_share_percent": 101}, "advance_share_percent"),
        ({"billing_basis": "weekly"}, "billing_basis"),
        ({"municipality": "atlantis"}, "municipality"),
        ({"status": "approved"}, "status"),
        ({"name": ""}, "name"),
    ],
)
def test_create_errors_have_field_messages(api_client, operator, overrides, field):
    api_client.force_authenticate(operator)
    error = assert_error(
        api_client.post(URL, create_body(**overrides), format="json"), 400, "validation_error"
    )
    assert error["fields"][field] and all(isinstance(m, str) for m in error["fields"][field])
    assert not FinancingPeriod.objects.exists()


def test_create_overlap_is_a_conflict_with_field_messages(api_client, operator, vorkuta):
    FinancingPeriodFactory(municipality=vorkuta)
    api_client.force_authenticate(operator)
    error = assert_error(
        api_client.post(
            URL, create_body(starts_on="2027-08-31", ends_on="2028-08-31"), format="json"
        ),
        409,
        "period_overlap",
    )
    assert "пересекается" in error["fields"]["starts_on"][0]
    assert FinancingPeriod.objects.count() == 1


def test_patch_conflicts_with_other_periods_and_the_approval(api_client, operator, periods):
    api_client.force_authenticate(operator)
    draft = periods["draft"]  # 2027-09-01 … after the approved 2026/27
    error = assert_error(
        api_client.patch(detail(draft), {"starts_on": "2027-08-01"}, format="json"),
        409,
        "period_overlap",
    )
    assert "пересекается с «ПФДО 2026/27»" in error["fields"]["starts_on"][0]
    # The approved period (quota 100 × 24 171 ₽ = budget) must stay covered.
    error = assert_error(
        api_client.patch(detail(periods["approved"]), {"certificate_quota": 101}, format="json"),
        409,
        "period_unsecured",
    )
    assert error["message"] == "Утверждённый период должен оставаться обеспеченным и полным."
    assert "не больше 100 сертификатов" in error["fields"]["certificate_quota"][0]
    for period in (draft, periods["approved"]):
        period.refresh_from_db()
    assert (draft.starts_on, periods["approved"].certificate_quota) == (dt.date(2027, 9, 1), 100)


def test_who_may_create(api_client, make_user, vorkuta, region):
    assert_error(api_client.post(URL, create_body(), format="json"), 401, "not_authenticated")
    for role in ("parent", "provider_staff", "payer"):
        api_client.force_authenticate(make_user(role, municipality=vorkuta))
        assert_error(api_client.post(URL, create_body(), format="json"), 403, "permission_denied")
    inta = MunicipalityFactory(region=region, code="inta")
    api_client.force_authenticate(make_user("operator", municipality=inta))
    error = assert_error(
        api_client.post(URL, create_body(), format="json"), 403, "permission_denied"
    )
    assert "municipality" in error["fields"]
    assert not FinancingPeriod.objects.exists()


def test_patch_updates_and_audits(api_client, operator, periods):
    api_client.force_authenticate(operator)
    response = api_client.patch(
        detail(periods["draft"]), {"k_north": "1.650", "name": "2027/28"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["k_north"] == "1.650" and response.json()["name"] == "2027/28"
    log = ActionLog.objects.get(action="financing.period_updated")
    assert log.details["changes"]["k_north"] == {"old": "1.000", "new": "1.650"}
    assert api_client.put(detail(periods["draft"]), create_body(), format="json").status_code == 405


def test_patch_refuses_unknown_and_read_only_fields(api_client, operator, periods):
    api_client.force_authenticate(operator)
    error = assert_error(
        api_client.patch(
            detail(periods["draft"]),
            {"status": "approved", "commitments_started_at": None},
            format="json",
        ),
        400,
        "validation_error",
    )
    assert set(error["fields"]) == {"status", "commitments_started_at"}
    periods["draft"].refresh_from_db()
    assert periods["draft"].status == DRAFT


def test_patch_of_a_locked_period(api_client, operator, periods):
    period = periods["approved"]
    services.mark_commitments_started(period=period)
    api_client.force_authenticate(operator)
    error = assert_error(
        api_client.patch(
            detail(period), {"advance_share_percent": 1, "ends_on": "2027-06-30"}, format="json"
        ),
        409,
        "period_locked",
    )
    # Issue 12: the quota and the budget are amendable (test_amendments.py); the rest locked.
    assert set(error["fields"]) == {"advance_share_percent", "ends_on"}
    assert (
        "уже заключены договоры или начислены номиналы"
        in error["fields"]["advance_share_percent"][0]
    )
    assert api_client.get(detail(period)).json()["is_locked"] is True
    ok = api_client.patch(detail(period), {"payment_term_working_days": 7}, format="json")
    assert ok.status_code == 200 and ok.json()["payment_term_working_days"] == 7


def test_patch_scope(api_client, make_user, periods, vorkuta, region):
    inta_operator = make_user(
        "operator", municipality=MunicipalityFactory.create(region=region, code="inta")
    )
    api_client.force_authenticate(inta_operator)
    assert_error(
        api_client.patch(detail(periods["draft"]), {"name": "x"}, format="json"), 404, "not_found"
    )
    assert_error(
        api_client.patch(detail(periods["approved"]), {"name": "x"}, format="json"),
        403,
        "permission_denied",
    )
    api_client.force_authenticate(make_user("parent", municipality=vorkuta))
    assert_error(
        api_client.patch(detail(periods["approved"]), {"name": "x"}, format="json"),
        403,
        "permission_denied",
    )
    api_client.force_authenticate(None)
    assert_error(
        api_client.patch(detail(periods["approved"]), {"name": "x"}, format="json"),
        401,
        "not_authenticated",
    )
    periods["approved"].refresh_from_db()
    assert periods["approved"].name == "ПФДО 2026/27"


def test_approve_action(api_client, operator, periods):
    draft = periods["draft"]
    api_client.force_authenticate(operator)
    error = assert_error(api_client.post(f"{detail(draft)}approve/"), 409, "period_incomplete")
    assert error["fields"] == {"nominal_categories": ["Нужна хотя бы одна категория номинала."]}
    NominalCategoryFactory(period=draft, nominal_kopecks=2_417_101)  # quota 100 × this > budget
    error = assert_error(api_client.post(f"{detail(draft)}approve/"), 409, "period_incomplete")
    assert "не больше 99 сертификатов" in error["fields"]["certificate_quota"][0]
    api_client.patch(detail(draft), {"certificate_quota": 99}, format="json")
    response = api_client.post(f"{detail(draft)}approve/")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert_error(api_client.post(f"{detail(draft)}approve/"), 409, "conflict")


def test_nominal_categories_endpoint(api_client, operator, periods):
    draft = periods["draft"]
    url = f"{detail(draft)}nominal-categories/"
    api_client.force_authenticate(operator)
    bad = assert_error(
        api_client.post(
            url,
            {"name": "Дети", "age_from_months": 120, "age_to_months": 60, "nominal_kopecks": 1},
            format="json",
        ),
        400,
        "validation_error",
    )
    assert "age_to_months" in bad["fields"]
    created = api_client.post(
        url,
        {
            "name": "Дети 5–18",
            "age_from_months": 60,
            "age_to_months": 216,
            "nominal_kopecks": 2_417_100,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    category_id = created.json()["id"]
    assert created.json()["disability_only"] is False
    overlap = assert_error(
        api_client.post(
            url,
            {"name": "Ещё", "age_from_months": 100, "age_to_months": 150, "nominal_kopecks": 1},
            format="json",
        ),
        409,
        "category_conflict",
    )
    assert "age_from_months" in overlap["fields"]
    same_name = assert_error(
        api_client.post(
            url,
            {
                "name": "Дети 5–18",
                "age_from_months": 60,
                "age_to_months": 216,
                "disability_only": True,
                "nominal_kopecks": 1,
            },
            format="json",
        ),
        409,
        "category_conflict",
    )
    assert same_name["fields"] == {"name": ["Категория с таким названием в периоде уже есть."]}
    # One bound sent, refused by the stored other one: the category's state (409).
    alone = assert_error(
        api_client.patch(f"{url}{category_id}/", {"age_to_months": 60}, format="json"),
        409,
        "category_conflict",
    )
    assert alone["fields"] == {
        "age_to_months": ["Верхняя граница возраста должна быть больше нижней."]
    }
    patched = api_client.patch(
        f"{url}{category_id}/", {"nominal_kopecks": 3_000_000}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["nominal_kopecks"] == 3_000_000
    shown = api_client.get(detail(draft)).json()["nominal_categories"]
    assert [c["nominal_kopecks"] for c in shown] == [3_000_000]
    assert api_client.delete(f"{url}{category_id}/").status_code == 204
    assert not NominalCategory.objects.filter(pk=category_id).exists()
    assert_error(api_client.delete(f"{url}{category_id}/"), 404, "not_found")


def test_nominal_categories_scope_and_lock(api_client, operator, make_user, periods, vorkuta):
    approved = periods["approved"]
    category = approved.nominal_categories.get()
    inta_category = NominalCategoryFactory(period=periods["inta_draft"])
    api_client.force_authenticate(operator)
    # A category id of another period is not found under this one.
    assert_error(
        api_client.patch(
            f"{detail(approved)}nominal-categories/{inta_category.pk}/",
            {"name": "x"},
            format="json",
        ),
        404,
        "not_found",
    )
    # The approved period (quota 100 × 24 171 ₽ = budget) must stay covered by its budget.
    error = assert_error(
        api_client.patch(
            f"{detail(approved)}nominal-categories/{category.pk}/",
            {"nominal_kopecks": 2_417_101},
            format="json",
        ),
        409,
        "period_unsecured",
    )
    assert error["message"] == "Утверждённый период должен оставаться обеспеченным бюджетом."
    assert set(error["fields"]) == {"nominal_kopecks"}
    services.mark_commitments_started(period=approved)
    error = assert_error(
        api_client.patch(
            f"{detail(approved)}nominal-categories/{category.pk}/",
            {"nominal_kopecks": 1},
            format="json",
        ),
        409,
        "period_locked",
    )
    assert (
        "уже заключены договоры или начислены номиналы" in error["fields"]["nominal_categories"][0]
    )
    api_client.force_authenticate(make_user("provider_staff", municipality=vorkuta))
    assert_error(
        api_client.delete(f"{detail(approved)}nominal-categories/{category.pk}/"),
        403,
        "permission_denied",
    )
    category.refresh_from_db()
    assert category.nominal_kopecks == 2_417_100


def test_schema_documents_the_endpoints(api_client, db):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/financing-periods/" in paths
    assert "/api/v1/financing-periods/{id}/approve/" in paths
    assert "/api/v1/financing-periods/{id}/nominal-categories/{category_id}/" in paths
    post = paths["/api/v1/financing-periods/"]["post"]
    assert "400" in post["responses"] and "201" in post["responses"]
    params = {p["name"] for p in paths["/api/v1/financing-periods/"]["get"]["parameters"]}
    assert {"municipality", "active_on"} <= params


@pytest.mark.parametrize(
    ("overrides", "allowed"),
    [
        ({"advance_from_working_day": 23, "freeze_days": 0, "decision_days": 60}, True),
        ({"k_north": "0.001", "k_disability": "999.999", "k_network": "0.05"}, True),
        ({"budget_kopecks": services.MAX_KOPECKS}, True),
        ({"advance_from_working_day": 0}, False),
        ({"advance_from_working_day": 24}, False),
        ({"accounting_program_limit": 100}, False),
        ({"budget_kopecks": services.MAX_KOPECKS + 1}, False),
        ({"base_arts_kopecks": -1}, False),
        ({"k_north": "0.000"}, False),
        ({"k_north": "1000"}, False),
        ({"k_north": ""}, False),
        ({"k_north": 1.6}, False),  # a coefficient is sent as a string
        ({"typo": 1}, False),
    ],
)
def test_the_schema_states_the_bounds_the_service_checks(
    api_client, operator, vorkuta, overrides, allowed
):
    """Issue 18: a period the schema allows is created, one it refuses is a field error."""
    from pfdo.common.tests.served_schema import body_is_valid, served_schema

    body = create_body(**overrides)
    assert body_is_valid(served_schema(), "POST", "/api/v1/financing-periods/", body) is allowed
    api_client.force_authenticate(operator)
    response = api_client.post(URL, body, format="json")
    if allowed:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == set(overrides) - {"k_disability"}


@pytest.mark.parametrize(
    ("overrides", "allowed"),
    [
        ({"age_from_months": 0, "age_to_months": services.MAX_AGE_MONTHS}, True),
        ({"nominal_kopecks": 0}, True),
        ({"nominal_kopecks": services.MAX_KOPECKS}, True),
        ({"age_from_months": -1}, False),
        ({"age_to_months": services.MAX_AGE_MONTHS + 1}, False),
        ({"nominal_kopecks": -1}, False),
        ({"nominal_kopecks": services.MAX_KOPECKS + 1}, False),
        ({"name": "   "}, False),
    ],
)
def test_the_schema_states_the_category_bounds_the_service_checks(
    api_client, operator, periods, overrides, allowed
):
    """A category the schema allows is added; one it refuses is a field error (400)."""
    from pfdo.common.tests.served_schema import body_is_valid, served_schema

    path = "/api/v1/financing-periods/{id}/nominal-categories/"
    body = {"name": "Дети", "age_from_months": 60, "age_to_months": 216, "nominal_kopecks": 1}
    body.update(overrides)
    assert body_is_valid(served_schema(), "POST", path, body) is allowed
    api_client.force_authenticate(operator)
    response = api_client.post(
        f"{detail(periods['draft'])}nominal-categories/", body, format="json"
    )
    if allowed:
        assert response.status_code == 201, response.content
    else:
        error = assert_error(response, 400, "validation_error")
        assert set(error["fields"]) == set(overrides)
