"""The benchmarks' database: PostgreSQL only, a name containing 'bench', created on first use."""

from __future__ import annotations

import sys

# gunicorn under the production settings, one copy for the benchmarks, `make serve` and the
# serving tests (scripts/serving.py).
from serving import Served, create_database, free_port


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
