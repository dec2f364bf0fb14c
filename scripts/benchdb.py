"""The benchmarks' database: PostgreSQL only, a name containing 'bench', created on first use."""

from __future__ import annotations

import os
import sys
import time

# gunicorn under the production settings, one copy for the benchmarks, `make serve` and the
# serving tests (scripts/serving.py).
import serving
from serving import create_database, free_port


class Served(serving.Served):
    """serving.Served with the benchmarks' defaults: their own Redis database for the cache
    (CACHE_URL, default db 5), and jobs run in the web process unless CELERY_BROKER_URL is set."""

    def __init__(self, database_url: str, *, extra_env: dict | None = None, **options) -> None:
        defaults = {
            "CACHE_URL": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/5"),
            "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", ""),
        }
        super().__init__(database_url, extra_env={**defaults, **(extra_env or {})}, **options)


def setup(script: str, example: str) -> None:
    """django.setup(), then refuse anything but a PostgreSQL database named *bench*."""
    import django

    django.setup()
    from django.db import connection

    name = connection.settings_dict["NAME"] or ""
    if connection.vendor != "postgresql":
        sys.exit(f"{script}: needs PostgreSQL (DATABASE_URL=postgres://…/{example})")
    if "bench" not in name:
        sys.exit(f"{script}: refusing database {name!r}: its name must contain 'bench'")
    _create_database(connection.settings_dict)


def _create_database(params: dict) -> None:
    """Create the bench database on first use (the name was checked above)."""
    if create_database(params):
        print(f"created database {params['NAME']}")


__all__ = ["Served", "free_port", "setup"]


class SqlCounter:
    """A database execute wrapper (connection.execute_wrapper) counting one request's
    statements and the time they take in the database."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started
