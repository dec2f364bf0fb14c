"""New rows of several models written in one round trip to PostgreSQL.

Where a row lock is held, every round trip is time others wait for it (the rush's group
lock: docs/decisions.md, "the rush, round 3"). `insert_rows` sends the INSERTs — as the
ORM compiles them, each returning its primary key — together in one query string
(psycopg's client-side binding runs a `;`-separated string as one round trip and hands back
each statement's result). Elsewhere (SQLite) they are saved one by one.

No model signals are sent: for rows whose models have no save hooks (the caller says so by
using it), and a model's own `save()` is not called either.
"""

from __future__ import annotations

from django.db import connections, models
from django.db.models.sql import InsertQuery


def _insert_sql(obj: models.Model, using: str) -> tuple[str, tuple]:
    opts = obj._meta
    fields = [f for f in opts.concrete_fields if not (f.primary_key and obj.pk is None)]
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = [opts.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, tuple(params)


def insert_rows(objs: list[models.Model], *, using: str = "default") -> None:
    """INSERT each new object, in order, and set its primary key; one round trip on
    PostgreSQL. An error (a broken constraint) raises as the ORM's own INSERT would."""
    connection = connections[using]
    if connection.vendor != "postgresql" or len(objs) < 2:
        for obj in objs:
            obj.save(force_insert=True, using=using)
        return
    parts = [_insert_sql(obj, using) for obj in objs]
    sql = ";\n".join(part[0] for part in parts)
    params = tuple(p for part in parts for p in part[1])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for i, obj in enumerate(objs):
            if i:
                cursor.cursor.nextset()
            obj.pk = cursor.fetchone()[0]
            obj._state.adding = False
            obj._state.db = using
