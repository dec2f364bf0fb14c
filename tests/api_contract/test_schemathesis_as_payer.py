"""The API contract with the bearer token of the demo payer, valid data (see contract.py)."""

from tests.api_contract.contract import signed_in_test

test_operation_as_payer = signed_in_test("payer")
