"""Settings come from the environment; production refuses unsafe combinations."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env):
    full = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "PFDO_ENV", "PFDO_PD_HASH_KEY"}
    }
    full.update(env)
    full["DJANGO_SETTINGS_MODULE"] = "config.settings"
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], "
        "settings.SESSION_COOKIE_SECURE, settings.EMAIL_BACKEND)"
    )
    return subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, timeout=60
    )


def test_production_requires_a_secret_key():
    result = load_settings(
        PFDO_ENV="production", ALLOWED_HOSTS="x.org", DATABASE_URL="sqlite:///:memory:"
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_requires_a_pd_hash_key():
    result = load_settings(
        PFDO_ENV="production",
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="x.org",
        DATABASE_URL="sqlite:///:memory:",
    )
    assert result.returncode != 0
    assert "PFDO_PD_HASH_KEY" in result.stderr


def test_production_refuses_the_secret_key_as_the_pd_hash_key():
    result = load_settings(
        PFDO_ENV="production",
        SECRET_KEY="k" * 60,
        PFDO_PD_HASH_KEY="k" * 60,
        ALLOWED_HOSTS="x.org",
        DATABASE_URL="sqlite:///:memory:",
    )
    assert result.returncode != 0
    assert "PFDO_PD_HASH_KEY must differ from SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = load_settings(
        PFDO_ENV="production", DEBUG="1", SECRET_KEY="k" * 60, DATABASE_URL="sqlite:///:memory:"
    )
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_is_hardened_and_takes_postgres_url():
    result = load_settings(
        PFDO_ENV="production",
        SECRET_KEY="k" * 60,
        PFDO_PD_HASH_KEY="h" * 60,
        ALLOWED_HOSTS="x.org",
        DATABASE_URL="postgres://u:p@db.example:5432/pfdo",
        EMAIL_URL="smtp://mail.example:25",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "True",
        "django.core.mail.backends.smtp.EmailBackend",
    ]


def test_development_defaults_to_sqlite_and_file_mail():
    result = load_settings(DATABASE_URL="sqlite:///var/dev-check.sqlite3")
    assert result.returncode == 0, result.stderr
    debug, engine, secure, email = result.stdout.split()
    assert (debug, engine, secure) == ("True", "django.db.backends.sqlite3", "False")
    assert email.endswith("filebased.EmailBackend")


def _mail_folder(**env) -> str:
    full = {k: v for k, v in os.environ.items() if k not in {"EMAIL_URL", "PFDO_ENV", "DEBUG"}}
    full.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    code = "from django.conf import settings; print(settings.EMAIL_FILE_PATH)"
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_file_mail_keeps_an_absolute_folder(tmp_path):
    # django-environ alone read filemail:///abs/path as the relative path "abs/path".
    folder = tmp_path / "outbox"
    assert _mail_folder(EMAIL_URL=f"filemail://{folder}") == str(folder)


def test_file_mail_default_is_the_var_folder_and_a_relative_folder_is_under_the_project(tmp_path):
    assert _mail_folder(PFDO_VAR_DIR=str(tmp_path)) == str(tmp_path / "mail")
    assert _mail_folder(EMAIL_URL="filemail://var/mail") == str(ROOT / "var" / "mail")


def test_make_run_links_mail_to_the_port_it_serves():
    # The demo's e-mails linked to :8000 whatever PORT the demo was served on.
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8123"],  # noqa: S607 - make from PATH, as developers run it
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.replace("\\\n", " ").splitlines()
    seed = next(line for line in lines if "seed_demo" in line)
    serve = next(line for line in lines if "runserver" in line)
    for line in (seed, serve):
        assert "PFDO_SITE_URL=http://127.0.0.1:8123 " in line


def _local_http(**env):
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, "
        "settings.CSRF_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS)"
    )
    full = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "PFDO_LOCAL_HTTP"}}
    full.update(
        PFDO_ENV="production",
        SECRET_KEY="k" * 60,
        PFDO_PD_HASH_KEY="p" * 60,
        DATABASE_URL="sqlite:///:memory:",
        DJANGO_SETTINGS_MODULE="config.settings",
        **env,
    )
    return subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, timeout=60
    )


def test_local_http_serves_production_settings_over_plain_http_on_loopback_only():
    served = _local_http(PFDO_LOCAL_HTTP="1", ALLOWED_HOSTS="127.0.0.1,localhost")
    assert served.returncode == 0, served.stderr
    assert served.stdout.split() == ["False", "False", "False", "0"]
    # Without it, the same hosts get https, Secure cookies and HSTS.
    hardened = _local_http(ALLOWED_HOSTS="127.0.0.1,localhost")
    assert hardened.stdout.split() == ["True", "True", "True", "31536000"]
    for hosts in ("pfdo.example.org", "127.0.0.1,pfdo.example.org", ""):
        refused = _local_http(PFDO_LOCAL_HTTP="1", ALLOWED_HOSTS=hosts)
        assert refused.returncode != 0
        assert "PFDO_LOCAL_HTTP=1" in refused.stderr and "loopback" in refused.stderr


def test_trusted_proxies_must_be_addresses_or_networks():
    good = load_settings(PFDO_TRUSTED_PROXIES="10.0.0.5,172.16.0.0/12,2001:db8::/32")
    assert good.returncode == 0, good.stderr
    bad = load_settings(PFDO_TRUSTED_PROXIES="10.0.0.5,proxy.local")
    assert bad.returncode != 0
    assert "PFDO_TRUSTED_PROXIES: 'proxy.local'" in bad.stderr
