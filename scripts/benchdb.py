"""The benchmarks' database: PostgreSQL only, a name containing 'bench', created on first use."""

from __future__ import annotations

import sys


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
    import psycopg
    from psycopg import sql

    conninfo = {
        "host": params.get("HOST") or None,
        "port": params.get("PORT") or None,
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
    }
    conninfo = {k: v for k, v in conninfo.items() if v}
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [params["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["NAME"])))
            print(f"created database {params['NAME']}")
