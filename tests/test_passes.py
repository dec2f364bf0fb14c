"""The passes of `make test` select by markers (conftest.py); the API contract is collected
only by a pass that can select it, and its two shards deal every operation exactly once."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import conftest

CONTRACT = Path(conftest.__file__).parent / "tests" / "api_contract" / "test_schemathesis.py"


def _config(markexpr: str):
    return SimpleNamespace(option=SimpleNamespace(markexpr=markexpr))


@pytest.mark.parametrize(
    ("markexpr", "collected"),
    [
        ("", True),  # plain `pytest`: everything
        ("serial and contract", True),  # make test-contract
        ("contract", True),
        ("not serial", False),  # the xdist pass
        ("serial and not contract and not e2e", False),  # races, workers, faults
        ("serial and e2e and not contract", False),  # the browser journeys
        ("sqlite and not serial", False),
        ("sqlite and serial", False),
        ("hypothesis", False),  # make soak
    ],
)
def test_the_contract_is_collected_only_where_it_can_be_selected(markexpr, collected):
    ignored = conftest.pytest_ignore_collect(CONTRACT, _config(markexpr))
    assert (ignored is None) is collected
    # Nothing else is ever ignored.
    assert conftest.pytest_ignore_collect(Path(__file__), _config(markexpr)) is None


def test_the_shards_deal_every_operation_once(monkeypatch):
    from tests.api_contract import shards as share

    labels = [f"GET /api/v1/x{n}/" for n in range(11)] + ["POST /api/v1/x0/"]
    for shards in (1, 2, 3):
        dealt = []
        for shard in range(1, shards + 1):
            monkeypatch.setattr(share, "SHARD", shard)
            monkeypatch.setattr(share, "SHARDS", shards)
            dealt += [label for label in labels if share.dealt_to_this_shard(label, labels)]
            # The stateful chains run in exactly one shard (the last one when there are two).
            assert share.runs_in_this_shard("test_stateful_workflows") is (shard == min(2, shards))
        assert sorted(dealt) == sorted(labels), shards
    assert share._shard("2/2") == (2, 2)
    for wrong in ("3/2", "0/2", "1", "a/b", "1/0"):
        with pytest.raises(ValueError):
            share._shard(wrong)
