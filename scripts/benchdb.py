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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`with Served(database_url, workers=4) as base:` — the project under gunicorn with the
    production settings (config/gunicorn.conf.py), as `make serve` runs it, on a free port;
    `base` is its address. Static files collected first (whitenoise serves them hashed)."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 4,
        app: str = "config.wsgi",
        extra_env: dict | None = None,
    ) -> None:
        self.database_url, self.workers, self.app = database_url, workers, app
        self.extra_env = extra_env or {}
        self.process = None

    def env(self, port: int) -> dict:
        import os
        from pathlib import Path

        root = Path(__file__).resolve().parent.parent
        var = root / "var"
        env = dict(os.environ)
        env.update(
            {
                "PFDO_ENV": "production",
                "DEBUG": "0",
                "DATABASE_URL": self.database_url,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "0",
                "SECRET_KEY": (var / "secret_key").read_text().strip()
                if (var / "secret_key").exists()
                else "bench-" + "x" * 50,
                "PFDO_PD_HASH_KEY": (var / "pd_hash_key").read_text().strip()
                if (var / "pd_hash_key").exists()
                else "bench-pd-" + "y" * 50,
                "CACHE_URL": env.get("CACHE_URL", "redis://127.0.0.1:6379/5"),
                "CELERY_BROKER_URL": env.get("CELERY_BROKER_URL", ""),
                "PFDO_BIND": f"127.0.0.1:{port}",
                "WEB_CONCURRENCY": str(self.workers),
                "LOG_LEVEL": "WARNING",
                "CONN_MAX_AGE": "600",
            }
        )
        env.update(self.extra_env)
        return env

    def __enter__(self) -> str:
        import subprocess
        import time
        import urllib.request
        from pathlib import Path

        root = Path(__file__).resolve().parent.parent
        port = free_port()
        env = self.env(port)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=root,
            env=env,
            check=True,
        )
        self.process = subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "-c",
                "config/gunicorn.conf.py",
                self.app,
            ],
            cwd=root,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        import urllib.error

        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/", timeout=2)  # noqa: S310 - our own server
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.1)  # not up yet
        else:
            raise RuntimeError(f"gunicorn did not answer on {base}")
        return base

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
