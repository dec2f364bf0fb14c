"""The demo the API contract modules run against: seeded once per module, rolled back after."""

from __future__ import annotations

import pytest

from pfdo.common.tests.worlds import world_once
from tests.api_contract.contract import seed_demo
from tests.api_contract.shards import runs_in_this_shard

# Seeded once for each module (rolled back at its end); not a test's to change in memory.
_demo_tokens = world_once(seed_demo)


@pytest.fixture
def tokens(_demo_tokens, db):
    """The demo logins' tokens; the test's own writes (a revoked token too) are rolled back."""
    return dict(_demo_tokens)


def pytest_collection_modifyitems(config, items):
    """With PFDO_CONTRACT_SHARD=k/n, the tests that are not over the operations (those are
    dealt by the schema's filter) run in one shard only (shards.SHARD_OF_TEST)."""
    keep, drop = [], []
    for item in items:
        name = getattr(item, "originalname", None) or item.name.split("[", 1)[0]
        operations = name in ("test_operation", "test_compat_operation")
        in_this_module = "api_contract" in item.path.parts
        shared_out = in_this_module and not operations and not runs_in_this_shard(name)
        (drop if shared_out else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
