"""The demo the API contract modules run against: seeded once per module, rolled back after."""

from __future__ import annotations

import pytest

from pfdo.common.tests.worlds import world_once
from tests.api_contract.contract import seed_demo

# Seeded once for each module (rolled back at its end); not a test's to change in memory.
_demo_tokens = world_once(seed_demo)


@pytest.fixture
def tokens(_demo_tokens, db):
    """The demo logins' tokens; the test's own writes (a revoked token too) are rolled back."""
    return dict(_demo_tokens)
