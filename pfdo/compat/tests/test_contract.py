"""Contract test: every operation of the observed ПФДО API v2 description is answered here,
and every answer validates against that description (every declared field present), for the
cases of pfdo/compat/tests/cases on the demo; every `expand` value the description names is
asked for and comes back."""

from __future__ import annotations

import pytest

from pfdo.compat.tests import spec
from pfdo.compat.tests.cases import Case, all_cases

OPERATION_IDS = [op.operation_id for op in spec.operations()]
# Operations this system cannot answer with success, and why: their cases are the errors.
NO_SUCCESS = {
    "getMainPageEventDetail": "this system keeps no events: every event id is 404",
}


def _check(compat, case: Case):
    response = compat.request(case.method, case.path, case.body)
    assert response["Content-Type"].startswith("application/json"), (case, response["Content-Type"])
    body = response.json()
    assert response.status_code == case.status, (case, response.status_code, body)
    op = spec.operation(case.operation_id)
    assert spec.operation_of(case.method, "/" + case.path.split("?")[0]) == op, case
    spec.validate(op, case.status, body)
    if case.status == 200:
        assert body["result_code"] == "FLSCS" and body["result_message"] == "Полный успех"
        data = body["data"]
        items = data if isinstance(data, list) else [data]
        if case.non_empty and isinstance(data, list):
            assert data, f"{case}: an empty list on the demo shows nothing"
        for name in case.expands:
            for item in items:
                assert name in item, f"{case}: expand={name} is not in the answer"
    return body


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_operation_answers_as_described(compat, operation_id):
    cases = [case for case in all_cases() if case.operation_id == operation_id]
    if operation_id in NO_SUCCESS:
        assert cases and all(case.status == 404 for case in cases), operation_id
    else:
        assert any(case.status == 200 for case in cases), f"no success case for {operation_id}"
    for case in cases:
        _check(compat, case)
    asked = set().union(*(case.expands for case in cases if case.status == 200))
    missing = spec.operation(operation_id).documented_expands - asked
    assert not missing, f"{operation_id}: documented expand values never asked: {sorted(missing)}"


def test_every_case_names_a_described_operation(compat):
    for case in all_cases():
        assert case.operation_id in OPERATION_IDS, case


def test_a_path_no_operation_serves_answers_the_404_envelope(compat):
    response = compat.get("main-page/no-such-thing")
    assert response.status_code == 404
    body = response.json()
    assert body == {
        "name": "Not Found",
        "message": "Страница не найдена.",
        "code": 0,
        "status": 404,
    }


def test_a_service_refusal_is_an_envelope_not_a_500(rf):
    from pfdo.common.errors import Conflict, ValidationFailed
    from pfdo.compat.api.base import compat_exception_response

    invalid = compat_exception_response(ValidationFailed(fields={"email": "Неверный адрес."}))
    assert invalid.status_code == 422
    assert invalid.data == {
        "result_code": "VAL01",
        "errors": {"email": ["Неверный адрес."]},
        "data": {},
    }
    conflict = compat_exception_response(Conflict("Уже подтверждено."))
    assert conflict.status_code == 409
    assert conflict.data["message"] == "Уже подтверждено." and conflict.data["status"] == 409


def test_api_docs_show_the_compatibility_section_with_the_original_operation_ids(client):
    from django.conf import settings

    from pfdo.compat.api.schema import TAG

    served = client.get("/api/schema/?format=json").json()
    prefix = "/" + settings.PFDO_COMPAT_API_PREFIX
    ours = {
        operation["operationId"]: operation
        for path, item in served["paths"].items()
        if path.startswith(prefix)
        for operation in item.values()
    }
    assert set(ours) == set(OPERATION_IDS)
    for operation_id, operation in ours.items():
        assert operation["tags"] == [TAG], operation_id
        assert "security" not in operation, operation_id  # no login, as the original
        for status, response in operation["responses"].items():
            ref = response["content"]["application/json"]["schema"].get("$ref", "")
            assert ref != "#/components/schemas/Error", (operation_id, status)
    swagger = client.get("/api/docs/")
    assert swagger.status_code == 200
