"""The API contract with the bearer token of the demo provider's staff, valid data (see contract.py)."""

from tests.api_contract.contract import signed_in_test

test_operation_as_provider = signed_in_test("provider")
