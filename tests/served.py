"""gunicorn under the production settings on the test's own database, for the serving and fault
tests: scripts/serving.py's `Served` (the one copy `make serve` and the benchmarks use too)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

from serving import Served  # noqa: E402 - scripts/ is put on the path just above

from pfdo.common.tests.workers import database_url  # noqa: E402 - after the path, as above

# The shared Redis of the machine, the test suite's own database number (not a deployment's).
TEST_CACHE_URL = "redis://127.0.0.1:6379/7"


# The pytest database (transactional tests commit their rows, so the server sees them).
served_database_url = database_url


def served(*, workers: int = 2, **extra_env: str) -> Served:
    """`with served(workers=1, PFDO_TODAY="2026-11-28") as base:` — jobs run in the web
    process (no broker), the cache is Redis (it degrades if Redis is away)."""
    return Served(
        served_database_url(),
        workers=workers,
        extra_env={"CACHE_URL": TEST_CACHE_URL, "CELERY_BROKER_URL": "", **extra_env},
    )


__all__ = ["Served", "served", "served_database_url"]
