"""Which share of the API contract this process runs (PFDO_CONTRACT_SHARD "k/n").

`make test` runs the contract as two processes at once (PFDO_CONTRACT_SHARD=1/2 and 2/2, each
with its own database and demo), so it takes both cores for half the time. The operations are
dealt in turn in the order of their labels — the same share every run — and each other test
belongs to one shard (SHARD_OF_TEST, conftest.py). One process alone runs it all. Nothing here
touches the application, so the passes' own tests can import it.
"""

from __future__ import annotations

import os
import re


def _shard(value: str) -> tuple[int, int]:
    """PFDO_CONTRACT_SHARD "k/n": this process runs the k-th of n shares of the contract."""
    match = re.fullmatch(r"([1-9][0-9]*)/([1-9][0-9]*)", value.strip())
    if not match or int(match[1]) > int(match[2]):
        raise ValueError(f"PFDO_CONTRACT_SHARD must be k/n with 1 <= k <= n, not {value!r}")
    return int(match[1]), int(match[2])


SHARD, SHARDS = _shard(os.environ.get("PFDO_CONTRACT_SHARD", "1/1"))
SHARD_OF_TEST = {"test_stateful_workflows": 2}


def dealt_to_this_shard(label: str, labels: list[str]) -> bool:
    return sorted(labels).index(label) % SHARDS == SHARD - 1


def runs_in_this_shard(name: str) -> bool:
    """Whether the contract test function `name` (not one over the operations) runs here."""
    return min(SHARD_OF_TEST.get(name, 1), SHARDS) == SHARD
