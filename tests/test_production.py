"""Production mode, for real: the project started as a separate process with PFDO_ENV=production
(the standard library's WSGI server around config.wsgi, static files collected as a deployment
does) answers real HTTP with HSTS, Secure/HttpOnly cookies, the Content-Security-Policy,
no-store, X-Frame-Options and nosniff; it refuses to start without each of its keys; and
`check --deploy` finds nothing.

The server uses the test's PostgreSQL database (committed rows: the server tests are
transactional, and so run in the serial pass of `make test`); the login it signs in with is
made by the test.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import subprocess
import sys
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password

from pfdo.common.tests.workers import database_url

ROOT = Path(__file__).resolve().parent.parent
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PASSWORD = "Prod-Check-2026"
SERVER = """
import sys
from wsgiref.simple_server import make_server
from config.wsgi import application
server = make_server("127.0.0.1", 0, application)
print(server.server_port, flush=True)
server.serve_forever()
"""


def production_env(var_dir: Path, **changes: str | None) -> dict[str, str]:
    # What this test run set for itself (settings, the browser tests' async escape hatch)
    # is not the deployment's.
    drop = {
        "DEBUG",
        "SECRET_KEY",
        "PFDO_PD_HASH_KEY",
        "PFDO_ENV",
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        PFDO_ENV="production",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        PFDO_PD_HASH_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url(),
        PFDO_VAR_DIR=str(var_dir),
        EMAIL_URL="consolemail://",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    """Static files collected as a deployment does (hashed names, the manifest)."""
    path = tmp_path_factory.mktemp("production")
    env = production_env(path, DATABASE_URL="sqlite:///:memory:")
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def server(var_dir, make_user, vorkuta):
    """The production process on a free port; the login `prod-operator` exists."""
    user = make_user("operator", municipality=vorkuta, username="prod-operator")
    user.password = make_password(PASSWORD, hasher="argon2")  # production's hasher
    user.save(update_fields=["password"])
    log = (var_dir / "server.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", SERVER],
        cwd=ROOT,
        env=production_env(var_dir),
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.strip().isdigit(), (var_dir / "server.log").read_text()
        yield int(line)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def request(port, method, path, *, https=True, headers=None, body=None):
    """One HTTP exchange, redirects not followed. `https` says what the TLS proxy in front
    of the site would (X-Forwarded-Proto, settings.SECURE_PROXY_SSL_HEADER)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    if https:
        sent["X-Forwarded-Proto"] = "https"
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    content = response.read()
    conn.close()
    return response, content


def cookies_of(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the whole header, attributes included)."""
    out = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        out[header.split("=", 1)[0]] = header
    return out


def assert_hardened(response):
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert response.headers["Content-Security-Policy"] == POLICY
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_production_answers_with_every_security_header(server):
    port = server
    page, html = request(port, "GET", "/login/")
    assert page.status == 200
    assert_hardened(page)
    csrf_cookie = cookies_of(page)[settings.CSRF_COOKIE_NAME]
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert attribute in csrf_cookie, csrf_cookie
    # Static files come from the collected, hashed files and keep their long caching.
    stylesheet = re.search(rb'href="(/static/css/app\.[0-9a-f]+\.css)"', html).group(1).decode()
    static, _ = request(port, "GET", stylesheet)
    assert static.status == 200 and "no-store" not in static.headers["Cache-Control"]
    assert "max-age=315360000" in static.headers["Cache-Control"]

    # Signing in sets the session cookie: Secure and HttpOnly as well.
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()
    jar = SimpleCookie()
    jar.load(csrf_cookie)
    signed_in, _ = request(
        port,
        "POST",
        "/login/",
        headers={
            "Cookie": f"{settings.CSRF_COOKIE_NAME}={jar[settings.CSRF_COOKIE_NAME].value}",
            "Referer": f"https://127.0.0.1:{port}/login/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=urlencode(
            {"csrfmiddlewaretoken": token, "username": "prod-operator", "password": PASSWORD}
        ),
    )
    assert signed_in.status == 302, signed_in.status
    session_cookie = cookies_of(signed_in)[settings.SESSION_COOKIE_NAME]
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert attribute in session_cookie, session_cookie
    session = session_cookie.split(";", 1)[0]
    location = signed_in.headers["Location"]
    for _ in range(3):  # /cabinet/ sends each role to its own home
        cabinet, text = request(port, "GET", location, headers={"Cookie": session})
        if cabinet.status != 302:
            break
        location = cabinet.headers["Location"]
    assert cabinet.status == 200 and "Кабинет оператора" in text.decode(), location
    assert_hardened(cabinet)
    assert cabinet.headers["Cache-Control"] == "no-store"

    api, _ = request(port, "GET", "/api/v1/municipalities/")
    assert api.status == 200
    assert_hardened(api)
    assert api.headers["Cache-Control"] == "no-store"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_plain_http_is_sent_to_https(server):
    response, _ = request(server, "GET", "/catalog/?q=x", https=False)
    assert response.status == 301
    assert response.headers["Location"] == f"https://127.0.0.1:{server}/catalog/?q=x"


@pytest.mark.parametrize("key", ["SECRET_KEY", "PFDO_PD_HASH_KEY"])
@pytest.mark.parametrize("value", [None, ""])
def test_production_refuses_to_start_without_each_key(tmp_path, key, value):
    started = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env=production_env(tmp_path, **{key: value}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert f"PFDO_ENV=production refuses to start without {key}" in started.stderr


def test_check_deploy_is_clean(tmp_path):
    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path, DATABASE_URL="sqlite:///:memory:"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues" in checked.stdout
