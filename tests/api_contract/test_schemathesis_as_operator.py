"""The API contract with the bearer token of the demo operator, valid data (see contract.py)."""

from tests.api_contract.contract import signed_in_test

test_operation_as_operator = signed_in_test("operator")
