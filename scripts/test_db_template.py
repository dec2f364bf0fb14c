"""Build the migrated PostgreSQL template every test database of `make test` is copied from.

Usage: test_db_template.py POSTGRES_URL — creates `<name>_template` of that URL afresh (dropped
first if a former run left it), migrates it with the project's migrations and prints its name.

Each PostgreSQL pass of `make test` (the xdist workers, the races, the browser journeys, the
two contract shards) would otherwise migrate a database of its own: six times the same
quarter of a minute. With PFDO_TEST_DB_TEMPLATE set to the name printed here, conftest.py
creates each test database with `CREATE DATABASE … TEMPLATE`, and Django's migrate then finds
every migration applied. The template is built again at every `make test`, so it is never a
stale schema.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    url = sys.argv[1]
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = f"{info.get('dbname') or 'pfdo'}_template"
    maintenance = {**info, "dbname": "postgres"}
    with psycopg.connect(**maintenance, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = urlsplit(url)._replace(path=f"/{name}").geturl()
    env = {**os.environ, "DATABASE_URL": target, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
