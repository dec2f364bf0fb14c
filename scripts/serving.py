"""Serving the project as it is deployed, on this machine: the environment of the production
processes, the local secrets, the PostgreSQL database, and `Served` — gunicorn on a free port
for the benchmarks and the serving tests. `make serve` (scripts/serve.py) uses the same pieces.

Importable without Django set up (scripts put this folder on sys.path; the tests do too).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
BIN = Path(sys.executable).parent
# What a test run or a caller's shell set for itself that is not the deployment's.
NOT_INHERITED = {
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DEBUG",
    "PYTEST_XDIST_WORKER",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_key(name: str) -> str:
    """var/<name>: a key generated once (mode 600) for serving on this machine, the same file
    settings.py generates PFDO_PD_HASH_KEY into outside production, so `make run`, `make seed`
    and `make serve` of one checkout hash personal data with one key."""
    path = VAR / name
    if not path.is_file():
        VAR.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{name}.{os.getpid()}")
        draft.write_text(secrets.token_urlsafe(50) + "\n")
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # two processes starting at once end up with one key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def database_params(database_url: str) -> dict:
    import environ

    return environ.Env.db_url_config(database_url)


def create_database(params: dict) -> bool:
    """Create the PostgreSQL database named in `params` if it is missing; True if created."""
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
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["NAME"])))
        return True


def production_env(
    database_url: str,
    *,
    port: int,
    workers: int | None = None,
    extra: dict | None = None,
) -> dict[str, str]:
    """The environment of every process of `make serve`: PFDO_ENV=production on plain http at
    127.0.0.1 (PFDO_LOCAL_HTTP, settings.py), the local secrets, Redis and PostgreSQL.
    Anything already set in the environment (CACHE_URL, CELERY_BROKER_URL, EMAIL_URL, …) wins
    over these defaults, except what makes it production."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    defaults = {
        "CACHE_URL": "redis://127.0.0.1:6379/0",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
        # No mail server on a developer's machine: letters are files in var/mail.
        "EMAIL_URL": f"filemail://{VAR / 'mail'}",
        "PFDO_SITE_URL": f"http://127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers or 4),
        "CONN_MAX_AGE": "600",
    }
    for name, value in defaults.items():
        env.setdefault(name, value)
    env.update(
        {
            "PFDO_ENV": "production",
            "DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PFDO_LOCAL_HTTP": "1",
            "SECRET_KEY": local_key("secret_key"),
            "PFDO_PD_HASH_KEY": local_key("pd_hash_key"),
            "PFDO_BIND": f"127.0.0.1:{port}",
            "PYTHONPATH": str(ROOT),
        }
    )
    if workers is not None:
        env["WEB_CONCURRENCY"] = str(workers)
    env.update(extra or {})
    return env


def celery_worker_argv(env: dict, name: str = "pfdo@%h") -> list[str]:
    """The Celery worker of `make serve` (queue "pfdo", CELERY_CONCURRENCY processes, 2)."""
    return [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "-Q",
        "pfdo",
        "-l",
        env.get("CELERY_LOG_LEVEL", "info"),
        "--concurrency",
        env.get("CELERY_CONCURRENCY", "2"),
        "-n",
        name,
    ]


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - this interpreter, manage.py, fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=check
    )


def wait_until_answering(base: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before answering")
        try:
            urllib.request.urlopen(base + "/", timeout=2)  # noqa: S310 - our own server
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)  # not up yet
    raise RuntimeError(f"gunicorn did not answer on {base}")


class Served:
    """`with Served(database_url, workers=4) as base:` — the project under gunicorn with the
    production settings (config/gunicorn.conf.py), as `make serve` runs it, on a free port;
    `base` is its address, `.process` the gunicorn master. Static files are collected first
    (whitenoise serves them compressed, with hashed names). `extra_env` adds to or overrides
    the environment (CACHE_URL, PFDO_TODAY, …). With `worker=True` a Celery worker runs beside
    gunicorn (`.worker`), as `make serve` runs one, so tasks enqueued on commit (e-mail) leave
    the request: give a CELERY_BROKER_URL of the caller's own in `extra_env`."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 4,
        app: str = "config.wsgi",
        extra_env: dict | None = None,
        collect_static: bool = True,
        worker: bool = False,
    ) -> None:
        self.database_url, self.workers, self.app = database_url, workers, app
        self.extra_env = {"LOG_LEVEL": "WARNING", **(extra_env or {})}
        self.collect_static = collect_static
        self.process: subprocess.Popen | None = None
        self.with_worker = worker
        self.worker: subprocess.Popen | None = None
        self.port = 0

    def env(self, port: int) -> dict:
        return production_env(
            self.database_url, port=port, workers=self.workers, extra=self.extra_env
        )

    def __enter__(self) -> str:
        self.port = free_port()
        env = self.env(self.port)
        if self.collect_static:
            manage(env, "collectstatic", "--noinput", "-v", "0")
        if self.with_worker:
            if not env.get("CELERY_BROKER_URL"):
                raise ValueError("Served(worker=True) needs a CELERY_BROKER_URL")
            self.worker = subprocess.Popen(  # noqa: S603 - the venv's celery, fixed arguments
                celery_worker_argv(env, name=f"pfdo-served-{self.port}@%h"), cwd=ROOT, env=env
            )
        self.process = subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
            [str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", self.app],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{self.port}"
        try:
            wait_until_answering(base, self.process)
        except BaseException:
            self.__exit__()
            raise
        return base

    def workers_pids(self) -> list[int]:
        """The master's live worker processes (children in /proc)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                pids.append(int(entry.name))
        return sorted(pids)

    def __exit__(self, *exc) -> None:
        for process in (self.process, self.worker):
            if process is not None and process.poll() is None:
                process.terminate()  # gunicorn and celery: a graceful shutdown
        for process in (self.process, self.worker):
            if process is None:
                continue
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
