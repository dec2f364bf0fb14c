"""A real Celery worker for the task tests: a `celery worker` process on the local Redis and
the test database, as a deployment runs it.

    @pytest.mark.postgres_only
    @pytest.mark.django_db(transaction=True)   # the worker must see committed rows
    def test_...(celery_worker):
        with celery_worker.enqueueing():        # this process sends to the broker
            services.start(...)                 # enqueued on commit
        celery_worker.wait_until(lambda: ...)

PostgreSQL-only and transactional, so such tests run in the serial pass (conftest.py).
Redis must answer: without it the test fails (CI starts Redis in .ci/run).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
# The Redis database of the task tests' broker (flushed when a worker starts).
REDIS_DB = int(os.environ.get("PFDO_TEST_REDIS_DB", "11"))


def redis_url(db: int = REDIS_DB, port: int = 6379) -> str:
    return f"redis://127.0.0.1:{port}/{db}"


def flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:  # pragma: no cover - environment
        pytest.fail(
            f"Redis does not answer at {url}: {exc} (start it: redis-server --daemonize yes)"
        )


def database_url() -> str:
    """The URL of the database this test process uses (pytest-django's test database)."""
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


def children_of(parent: int) -> list[int]:
    """Process ids whose parent is `parent` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # "pid (name) state ppid ...": the name may hold spaces, so split after ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                found.append(int(stat.parent.name))
    return found


class Worker:
    def __init__(self, broker: str, log: Path, mail_dir: Path, extra_env: dict | None = None):
        self.broker, self.log, self.mail_dir = broker, log, mail_dir
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": database_url(),
                "CELERY_BROKER_URL": self.broker,
                "EMAIL_URL": f"filemail://{self.mail_dir}",
                "DEBUG": "1",
                "PYTHONPATH": str(ROOT),
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, *, concurrency: int = 1, pool: str = "prefork") -> None:
        command = [
            str(Path(sys.executable).with_name("celery")),
            *("-A", "config", "worker", "-Q", "pfdo", "-c", str(concurrency), "--pool", pool),
            *("-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        handle = self.log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - the venv's celery, fixed arguments
            command, cwd=ROOT, env=self.env(), stdout=handle, stderr=subprocess.STDOUT
        )
        self.wait_until(lambda: "ready." in self.output(), timeout=60, what="the worker to start")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill_children(self) -> list[int]:
        """SIGKILL the pool processes running tasks (the worker's children), as an OOM kill
        or a crashed machine would; the main process stays and starts new ones."""
        assert self.process is not None
        found = children_of(self.process.pid)
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return found

    def wait_until(
        self, check: Callable[[], object], *, timeout: float = 30, what: str = ""
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            if self.process is not None and self.process.poll() is not None:
                pytest.fail(
                    f"the celery worker exited ({self.process.returncode}):\n{self.output()[-4000:]}"
                )
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what or check}:\n{self.output()[-4000:]}")

    @contextlib.contextmanager
    def enqueueing(self) -> Iterator[None]:
        """Within the block this process sends tasks to the worker's broker, not eagerly."""
        from celery import current_app as app  # the project's app (config/celery.py)

        saved = (app.conf.task_always_eager, app.conf.broker_url)
        app.conf.task_always_eager = False
        app.conf.broker_url = self.broker
        # Both pools: a task run eagerly earlier in the process (any on-commit e-mail) has
        # built the producer pool on the broker of then, and it would publish there.
        app._pool = None
        app.amqp._producer_pool = None
        try:
            yield
        finally:
            app.conf.task_always_eager, app.conf.broker_url = saved
            app._pool = None
            app.amqp._producer_pool = None


@contextlib.contextmanager
def running_worker(folder: Path, extra_env: dict | None = None) -> Iterator[Worker]:
    """A worker on the tests' broker (flushed before and after), its log and mail in `folder`."""
    broker = redis_url()
    flush(broker)
    mail = folder / "mail"
    mail.mkdir()
    worker = Worker(broker, folder / "worker.log", mail, extra_env)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        flush(broker)


@pytest.fixture
def celery_worker(tmp_path) -> Iterator[Worker]:
    with running_worker(tmp_path) as worker:
        yield worker
