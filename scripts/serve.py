"""`make serve`: the system as it is deployed, on this machine — gunicorn's web workers, a Celery
worker for the background jobs and celery beat for the schedule, with PFDO_ENV=production,
against the local PostgreSQL and Redis, on http://127.0.0.1:$PORT.

Before starting: creates the database if missing, migrates, collects the static files
(compressed, with hashed names) and, if the database is empty, loads the Vorkuta demo. Then
it supervises the three processes: Ctrl-C or SIGTERM stops all of them (gracefully, then by
force); if one of them dies, the others are stopped too and it exits with an error.

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/pfdo_serve), PORT
(8000), WEB_CONCURRENCY (4 web workers), CELERY_CONCURRENCY (2 job processes), CACHE_URL,
CELERY_BROKER_URL, EMAIL_URL (letters go to var/mail) — see README, «Развёртывание».
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import serving

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pfdo_serve"
STOP_GRACE_SECONDS = 30
EMPTY_CHECK = (
    "import sys; from django.contrib.auth import get_user_model; "
    "sys.exit(0 if get_user_model().objects.exists() else 3)"
)


def say(text: str) -> None:
    print(f"serve: {text}", flush=True)


def prepare(database_url: str, env: dict) -> None:
    params = serving.database_params(database_url)
    if not params["ENGINE"].endswith("postgresql"):
        sys.exit(
            "serve: needs PostgreSQL (DATABASE_URL=postgres://…); `make run` is the SQLite demo"
        )
    import psycopg

    try:
        if serving.create_database(params):
            say(f"создана база {params['NAME']}")
    except psycopg.Error as exc:
        sys.exit(f"serve: PostgreSQL at {params.get('HOST')}:{params.get('PORT')} — {exc}")
    serving.manage(env, "migrate", "--noinput", "-v", "0")
    serving.manage(env, "collectstatic", "--noinput", "-v", "0")
    if serving.manage(env, "shell", "--no-imports", "-c", EMPTY_CHECK, check=False).returncode == 3:
        say(f"база {params['NAME']} пуста: загружаю демо Воркуты (seed_demo --scale small)…")
        serving.manage(env, "seed_demo", "--scale", "small")
    redis_answers(env)


def redis_answers(env: dict) -> None:
    import redis

    for name in ("CACHE_URL", "CELERY_BROKER_URL"):
        try:
            redis.Redis.from_url(env[name], socket_connect_timeout=1).ping()
        except (redis.RedisError, ValueError) as exc:
            say(
                f"WARNING: Redis at {name}={env[name]} does not answer ({exc}): the cache "
                "falls back to each process's memory and jobs wait until it is up"
            )


def commands(env: dict) -> dict[str, list[str]]:
    celery = str(serving.BIN / "celery")
    return {
        "web": [str(serving.BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "config.wsgi"],
        "worker": serving.celery_worker_argv(env),
        # Exactly one beat per deployment: two would run every scheduled job twice.
        "beat": [
            celery,
            "-A",
            "config",
            "beat",
            "-l",
            "info",
            "-s",
            str(serving.VAR / "celerybeat-schedule"),
        ],
    }


class Supervisor:
    def __init__(self, env: dict) -> None:
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopping = False

    def start(self) -> None:
        for name, argv in commands(self.env).items():
            # A session of its own: Ctrl-C reaches the supervisor only, which stops each
            # process in order instead of all of them receiving SIGINT at once.
            self.processes[name] = subprocess.Popen(  # noqa: S603 - the venv's programs, fixed arguments
                argv, cwd=serving.ROOT, env=self.env, start_new_session=True
            )
            say(f"{name}: pid {self.processes[name].pid}")

    def request_stop(self, signum, _frame) -> None:
        if not self.stopping:
            say(f"{signal.Signals(signum).name}: stopping")
        self.stopping = True

    def watch(self) -> int:
        while not self.stopping:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    say(f"{name} exited with {process.returncode}: stopping the others")
                    self.stop()
                    return 1
            time.sleep(0.5)
        self.stop()
        return 0

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()  # gunicorn and celery: a graceful shutdown
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in {STOP_GRACE_SECONDS} s: killed")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            else:
                # What it left behind in its session (a worker of a killed master).
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    port = int(os.environ.get("PORT", "8000"))
    env = serving.production_env(database_url, port=port)
    prepare(database_url, env)
    supervisor = Supervisor(env)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    supervisor.start()
    base = f"http://127.0.0.1:{port}"
    try:
        serving.wait_until_answering(base, supervisor.processes["web"])
    except RuntimeError as exc:
        say(str(exc))
        supervisor.stop()
        return 1
    say(f"готово: {base}/  API: {base}/api/docs/  (PFDO_ENV=production, plain http on 127.0.0.1)")
    say("демо-логины — README, «Demo logins»; Ctrl-C останавливает всё")
    return supervisor.watch()


if __name__ == "__main__":
    sys.exit(main())
