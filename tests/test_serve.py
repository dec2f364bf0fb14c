"""`make serve` for real: gunicorn with the production settings on plain http at 127.0.0.1
(PFDO_LOCAL_HTTP) serves the home page, the catalogue, a login that works in a browser, and
static files collected, hashed and compressed with far-future caching; and the supervisor of
scripts/serve.py starts gunicorn, a Celery worker and beat, stops them all on SIGTERM, and
stops them all when one dies.

Serial (gunicorn, committed rows): PostgreSQL's serial pass of `make test`.
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import signal
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password

from tests.served import ROOT, TEST_CACHE_URL, served, served_database_url

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

PASSWORD = "Serve-Check-2026"


def request(base: str, method: str, path: str, *, headers=None, body=None):
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    content = response.read()
    conn.close()
    return response, content


def cookie(response, name: str) -> str:
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie in {response.headers.get_all('Set-Cookie')}")


@pytest.fixture
def operator_login(make_user, vorkuta):
    user = make_user("operator", municipality=vorkuta, username="serve-operator")
    user.password = make_password(PASSWORD, hasher="argon2")  # production's hasher
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    return user


def test_gunicorn_serves_pages_a_login_and_compressed_static_files(operator_login):
    with served(workers=2) as base:
        home, html = request(base, "GET", "/")
        assert home.status == 200 and home.headers["Server"].startswith("gunicorn")
        assert "Strict-Transport-Security" not in home.headers  # plain http on loopback
        catalogue, _ = request(base, "GET", "/catalog/")
        assert catalogue.status == 200
        missing, text = request(base, "GET", "/no-such-page/")
        assert missing.status == 404 and b"Traceback" not in text  # DEBUG is off

        # A hashed, compressed static file with far-future caching.
        stylesheet = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', html)
        assert stylesheet, "the page links the hashed stylesheet"
        path = stylesheet.group(1).decode()
        static, body = request(base, "GET", path, headers={"Accept-Encoding": "gzip"})
        assert static.status == 200
        assert static.headers["Content-Encoding"] == "gzip"
        assert "max-age=315360000" in static.headers["Cache-Control"]
        assert "immutable" in static.headers["Cache-Control"]
        plain, raw = request(base, "GET", path)
        assert "Content-Encoding" not in plain.headers and raw == gzip.decompress(body)

        # A login over plain http: the cookies are not Secure (a browser would drop them).
        page, html = request(base, "GET", "/login/")
        csrf_cookie = cookie(page, settings.CSRF_COOKIE_NAME)
        assert "Secure" not in csrf_cookie and "HttpOnly" in csrf_cookie
        jar = SimpleCookie()
        jar.load(csrf_cookie)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()
        signed_in, _ = request(
            base,
            "POST",
            "/login/",
            headers={
                "Cookie": f"{settings.CSRF_COOKIE_NAME}={jar[settings.CSRF_COOKIE_NAME].value}",
                "Origin": base,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body=urlencode(
                {"csrfmiddlewaretoken": token, "username": "serve-operator", "password": PASSWORD}
            ),
        )
        assert signed_in.status == 302, signed_in.status
        session = cookie(signed_in, settings.SESSION_COOKIE_NAME)
        assert "Secure" not in session and "HttpOnly" in session
        location = signed_in.headers["Location"]
        for _ in range(3):  # /cabinet/ sends each role to its own home
            cabinet, text = request(
                base, "GET", location, headers={"Cookie": session.split(";", 1)[0]}
            )
            if cabinet.status != 302:
                break
            location = cabinet.headers["Location"]
        assert cabinet.status == 200 and "Кабинет оператора" in text.decode(), location


# ------------------------------------------------------------------- the supervisor


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def start_supervisor(port: int, log) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.update(
        DATABASE_URL=served_database_url(),
        PORT=str(port),
        WEB_CONCURRENCY="1",
        CELERY_CONCURRENCY="1",
        CACHE_URL=TEST_CACHE_URL,
        CELERY_BROKER_URL=TEST_CACHE_URL,
        LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "scripts/serve.py"], cwd=ROOT, env=env, stdout=log, stderr=log, text=True
    )


def wait_ready(process: subprocess.Popen, log_path, seconds: float = 180) -> dict[str, int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = log_path.read_text()
        if "serve: готово" in text:
            return {m[0]: int(m[1]) for m in re.findall(r"serve: (\w+): pid (\d+)", text)}
        assert process.poll() is None, text
        time.sleep(0.2)
    raise AssertionError(log_path.read_text())


@pytest.mark.parametrize("fault", ["sigterm", "worker dies"])
def test_the_supervisor_stops_every_process(operator_login, tmp_path, fault):
    sys.path.insert(0, str(ROOT / "scripts"))
    from serving import free_port

    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        supervisor = start_supervisor(port, log)
        try:
            pids = wait_ready(supervisor, log_path)
            assert set(pids) == {"web", "worker", "beat"}
            assert all(alive(pid) for pid in pids.values())
            assert children_of(pids["web"]), "gunicorn's worker"
            home, _ = request(f"http://127.0.0.1:{port}", "GET", "/")
            assert home.status == 200
            everything = [*pids.values(), *children_of(pids["web"]), *children_of(pids["worker"])]
            if fault == "sigterm":
                supervisor.send_signal(signal.SIGTERM)
                assert supervisor.wait(timeout=60) == 0
            else:
                os.kill(pids["worker"], signal.SIGKILL)
                assert supervisor.wait(timeout=60) == 1
                assert "worker exited with -9: stopping the others" in log_path.read_text()
            deadline = time.monotonic() + 10
            while any(alive(pid) for pid in everything) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not [pid for pid in everything if alive(pid)], log_path.read_text()
        finally:
            if supervisor.poll() is None:
                supervisor.kill()
                supervisor.wait(timeout=10)
