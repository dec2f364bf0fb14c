"""The ceiling of the September rush over HTTP: the same row locks, check and inserts as an
application, behind a bare WSGI app (no Django) under the same gunicorn.

    Served(database_url, app="scripts.bench_wsgi_ceiling:application")

`POST /` with {"certificate": id, "group": id} runs, in one transaction on the worker's one
connection (psycopg, as Django's CONN_MAX_AGE keeps one): lock the certificate's row, count
its live applications to the group, lock the group's row, take a place if one is free (a
conditional UPDATE), insert the application (a held place or the waitlist). The tables are
the bench's own copies (`rush_*`, made by scripts/bench_rush.py), so the figures measure the
SQL and the serving, not the schema's many columns.
"""

from __future__ import annotations

import json
import os

import psycopg

# The transaction of one application, statement for statement (scripts/bench_rush.py feeds
# the same text to pgbench with its variables).
LOCK_CERTIFICATE = "SELECT id, status FROM rush_certificate WHERE id = %(c)s FOR UPDATE"
CHECK_APPLIED = (
    "SELECT count(*) FROM rush_application WHERE certificate_id = %(c)s AND group_id = %(g)s "
    "AND status IN ('new', 'waitlisted')"
)
LOCK_GROUP = "SELECT id, capacity, seats_taken FROM rush_group WHERE id = %(g)s FOR UPDATE"
TAKE_SEAT_AND_INSERT = (
    "WITH seat AS (UPDATE rush_group SET seats_taken = seats_taken + 1 "
    "WHERE id = %(g)s AND seats_taken < capacity RETURNING id) "
    "INSERT INTO rush_application (certificate_id, group_id, status, created_at) "
    "SELECT %(c)s, %(g)s, CASE WHEN EXISTS (SELECT 1 FROM seat) THEN 'new' ELSE 'waitlisted' "
    "END, now() RETURNING id, status"
)

_connection: psycopg.Connection | None = None


def _conninfo() -> str:
    url = os.environ["DATABASE_URL"]
    return url.replace("postgres://", "postgresql://", 1)


def _db() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(_conninfo())
    return _connection


def apply(certificate: int, group: int) -> tuple[int, str]:
    params = {"c": certificate, "g": group}
    connection = _db()
    with connection.transaction(), connection.cursor() as cursor:
        cursor.execute(LOCK_CERTIFICATE, params)
        cursor.execute(CHECK_APPLIED, params)
        cursor.execute(LOCK_GROUP, params)
        cursor.execute(TAKE_SEAT_AND_INSERT, params)
        row = cursor.fetchone()
    return row[0], row[1]


def application(environ, start_response):
    if environ.get("REQUEST_METHOD") != "POST":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ceiling\n"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length) or b"{}")
    pk, status = apply(int(body["certificate"]), int(body["group"]))
    answer = json.dumps({"id": pk, "status": status}).encode()
    start_response(
        "201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))]
    )
    return [answer]
