"""Rate limits: counting per window and key, the refusal (429, Retry-After, action history),
and counters shared between processes through Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings

from pfdo.audit.models import ActionLog
from pfdo.common import context, ratelimit
from pfdo.common.middleware import RateLimitMiddleware

LIMITS = {"probe": "3/60", "probe_wide": "5/600"}


class Clock:
    def __init__(self, now: float = 1_000_020.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limits(settings):
    settings.PFDO_RATE_LIMITS = dict(LIMITS)
    return settings.PFDO_RATE_LIMITS


def test_the_attempt_over_the_limit_is_refused_until_the_window_ends(db, limits):
    clock = Clock()
    for _ in range(3):
        ratelimit.hit(("probe", "ip:10.0.0.1"), clock=clock)
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.hit(("probe", "ip:10.0.0.1"), clock=clock)
    # The window is [1_000_020, 1_000_080): 60 s left at its start.
    assert refused.value.wait == 60
    assert refused.value.message == "Слишком много попыток. Повторите через 1 мин."
    # Another key counts on its own.
    ratelimit.hit(("probe", "ip:10.0.0.2"), clock=clock)
    clock.now += 60
    ratelimit.hit(("probe", "ip:10.0.0.1"), clock=clock)
    assert ratelimit.remaining("probe", "ip:10.0.0.1", clock=clock) == 2


def test_several_buckets_refuse_with_the_longest_wait(db, limits):
    clock = Clock()
    for _ in range(5):
        ratelimit.hit(("probe", f"user:{_}"), ("probe_wide", "provider:1"), clock=clock)
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.hit(("probe", "user:9"), ("probe_wide", "provider:1"), clock=clock)
    assert refused.value.limit == "probe_wide"
    assert refused.value.wait == 600 - (1_000_020 % 600)


def test_a_refusal_is_in_the_action_history_with_actor_and_address(make_user, vorkuta, limits):
    staff = make_user("operator", municipality=vorkuta)
    with context.bound(context.RequestContext(ip="203.0.113.7")):
        for _ in range(3):
            ratelimit.hit(("probe", "user:1"), actor=staff, municipality=vorkuta)
        assert not ActionLog.objects.filter(action="rate_limited").exists()
        with pytest.raises(ratelimit.RateLimited):
            ratelimit.hit(("probe", "user:1"), actor=staff, municipality=vorkuta)
    row = ActionLog.objects.get(action="rate_limited")
    assert (row.actor, row.ip, row.municipality) == (staff, "203.0.113.7", vorkuta)
    assert row.details["limit"] == "probe"
    assert row.details["scope"] == "user"
    assert row in ActionLog.objects.for_user(make_user("operator", municipality=vorkuta))


@pytest.mark.parametrize("spec", ["5", "a/b", "0/60", "5/0", "5/60/1"])
def test_a_malformed_limit_is_a_configuration_error(settings, spec):
    settings.PFDO_RATE_LIMITS = {"bad": spec}
    with pytest.raises(ImproperlyConfigured):
        ratelimit.hit(("bad", "ip:1"))


def test_an_unknown_limit_is_a_configuration_error(settings):
    settings.PFDO_RATE_LIMITS = {}
    with pytest.raises(ImproperlyConfigured):
        ratelimit.hit(("missing", "ip:1"))


def test_wait_reads_as_a_person_reads_it():
    assert [ratelimit.wait_text(s) for s in (1, 59, 60, 61, 3600, 7140, 7200, 86400)] == [
        "1 с",
        "59 с",
        "1 мин",
        "2 мин",
        "60 мин",
        "119 мин",
        "2 ч",
        "24 ч",
    ]


def _refusing_view(request):
    raise ratelimit.RateLimited(limit="probe", wait=125)


def test_a_page_refused_gets_the_429_page_with_the_time_to_retry(db):
    request = RequestFactory().post("/certificates/apply/")
    request.user = None
    middleware = RateLimitMiddleware(_refusing_view)
    try:
        _refusing_view(request)
    except ratelimit.RateLimited as exc:
        response = middleware.process_exception(request, exc)
    assert response.status_code == 429
    assert response["Retry-After"] == "125"
    page = response.content.decode()
    assert "Слишком много попыток" in page
    assert "3 мин" in page


def test_a_plain_api_view_refused_gets_the_error_body(db):
    request = RequestFactory().post("/api/v1/anything/")
    exc = ratelimit.RateLimited(limit="probe", wait=30)
    response = RateLimitMiddleware(_refusing_view).process_exception(request, exc)
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    error = json.loads(response.content)["error"]
    assert error["code"] == "throttled"
    assert "30 с" in error["message"]


def test_other_exceptions_pass_through_the_middleware(db):
    request = RequestFactory().get("/")
    assert RateLimitMiddleware(_refusing_view).process_exception(request, ValueError()) is None


REDIS_URL = os.environ.get("PFDO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_counters_are_shared_by_every_process_through_redis(db, settings, monkeypatch):
    # The other process counts on the wall clock: so does this one here.
    monkeypatch.setattr(ratelimit, "_now", time.time)
    """Production's shared cache: attempts made by another worker process count here."""
    if not _redis_answers():
        pytest.skip(f"Redis is not answering at {REDIS_URL}")
    settings.PFDO_RATE_LIMITS = {"probe": "3/3600"}
    key = f"ip:test-{os.getpid()}-{time.time_ns()}"  # this run's own counter in Redis
    redis_cache = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    with override_settings(CACHES=redis_cache):
        # Another process (a second worker) spends two attempts of the same key...
        script = (
            "import django; django.setup();"
            "from pfdo.common import ratelimit;"
            f"[ratelimit.hit(('probe', {key!r})) for _ in range(2)]"
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "CACHE_URL": REDIS_URL,
            "PFDO_RATE_LIMITS": "probe=3/3600",
        }
        subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)  # noqa: S603 - this interpreter, a fixed script
        # ...so this one has one left.
        ratelimit.hit(("probe", key))
        with pytest.raises(ratelimit.RateLimited):
            ratelimit.hit(("probe", key))
