"""Exit 0 if the PostgreSQL server in argv[1] answers, else print why and exit 1."""

import sys

import psycopg


def main() -> int:
    url = sys.argv[1]
    # Connect to the maintenance database: the test database is created by the test run.
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
        info["dbname"] = "postgres"
        with psycopg.connect(**info, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        print(f"PostgreSQL not reachable at {url}: {exc}".strip())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
