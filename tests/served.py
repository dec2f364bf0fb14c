"""gunicorn under the production settings on the test's own database, for the serving and fault
tests: scripts/serving.py's `Served` (the one copy `make serve` and the benchmarks use too)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

from serving import Served  # noqa: E402 - scripts/ is put on the path just above

# The shared Redis of the machine, the test suite's own database number (not a deployment's).
TEST_CACHE_URL = "redis://127.0.0.1:6379/7"


def served_database_url() -> str:
    """The pytest database (transactional tests commit their rows, so the server sees them)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def served(*, workers: int = 2, **extra_env: str) -> Served:
    """`with served(workers=1, PFDO_TODAY="2026-11-28") as base:` — jobs run in the web
    process (no broker), the cache is Redis (it degrades if Redis is away)."""
    return Served(
        served_database_url(),
        workers=workers,
        extra_env={"CACHE_URL": TEST_CACHE_URL, "CELERY_BROKER_URL": "", **extra_env},
    )


__all__ = ["Served", "served", "served_database_url"]
