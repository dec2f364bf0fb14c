"""The browser journeys' demo, seeded once per test session and copied back for each journey.

A journey needs committed rows (the live server reads them from its own thread), so each one
runs on `transactional_db`, whose teardown empties every table. Seeding the demo again through
the services took about eight seconds a journey, a quarter of the serial lane. Instead the first
journey seeds it and copies every non-empty table into a side store the flush does not see (a
schema of its own on PostgreSQL, an attached in-memory database on SQLite); each later journey
gets those rows copied back in one statement per table, with the sequences where the seed left
them, and an empty cache, as a fresh seed would leave it. The copy is taken again in every test
session, so a reused test database never serves an old demo. What the flush's post_migrate
signal writes again (content types, permissions) is replaced by the copy, whose rows the rest
of the demo refers to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import caches
from django.db import connection

PG_SCHEMA = "e2e_demo_snapshot"
SQLITE_ALIAS = "e2e_demo_snapshot"


@dataclass
class Snapshot:
    report: object
    tables: list[str] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True))


def take(report: object) -> Snapshot | None:
    """Copy the seeded demo aside; None on a database this module does not know."""
    vendor = connection.vendor
    if vendor not in _COPY_BACK:
        return None
    snapshot = Snapshot(report=report)
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
            cursor.execute(f"CREATE SCHEMA {PG_SCHEMA}")
            store = PG_SCHEMA
        else:
            cursor.execute("PRAGMA database_list")
            if SQLITE_ALIAS in {row[1] for row in cursor.fetchall()}:
                cursor.execute(f"DETACH DATABASE {SQLITE_ALIAS}")
            cursor.execute(f"ATTACH DATABASE ':memory:' AS {SQLITE_ALIAS}")
            store = SQLITE_ALIAS
        for table in _tables():
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_quote(table)})")  # noqa: S608 - a model table
            if not cursor.fetchone()[0]:
                continue
            cursor.execute(
                f"CREATE TABLE {store}.{_quote(table)} AS SELECT * FROM {_quote(table)}"  # noqa: S608 - a model table
            )
            snapshot.tables.append(table)
        if vendor == "postgresql":
            cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences "
                "WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
            snapshot.sequences = dict(cursor.fetchall())
    return snapshot


# How each database copies rows back as they were, with no foreign-key or append-only trigger
# firing: (the side store, the statement before, the statement after).
_COPY_BACK = {
    "postgresql": (
        PG_SCHEMA,
        "SET session_replication_role = replica",
        "SET session_replication_role = DEFAULT",
    ),
    "sqlite": (SQLITE_ALIAS, "PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON"),
}


def restore(snapshot: Snapshot) -> object:
    """Put the demo back into the emptied tables, as the seed left them; its report."""
    store, before, after = _COPY_BACK[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(before)
        try:
            for table in snapshot.tables:
                cursor.execute(f"DELETE FROM {_quote(table)}")  # noqa: S608 - a model table
                cursor.execute(
                    f"INSERT INTO {_quote(table)} SELECT * FROM {store}.{_quote(table)}"  # noqa: S608 - a model table
                )
        finally:
            cursor.execute(after)
        for sequence, value in snapshot.sequences.items():
            cursor.execute("SELECT setval(%s, %s, true)", [f"public.{sequence}", value])
    for cache in caches.all():
        cache.clear()
    return snapshot.report
