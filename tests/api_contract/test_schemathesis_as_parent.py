"""The API contract with the bearer token of the demo parent, valid data (see contract.py)."""

from tests.api_contract.contract import signed_in_test

test_operation_as_parent = signed_in_test("parent")
