"""Rate limits: how many attempts a client or an account may make of one action per window.

A limit is a name in `settings.PFDO_RATE_LIMITS` ("count/seconds"). Services count an attempt
with `hit(("name", key), ...)` before they open their transaction: the refusal is then written
to the action history and survives (a row written inside a transaction that the refusal rolls
back would vanish). `hit` raises `RateLimited`, which is deliberately not a `DomainError`: pages
that show a domain error as a form message must not swallow it. The API answers 429 with the
error body and `Retry-After` (pfdo.common.api.errors); pages get the 429 page with the time to
retry (pfdo.common.middleware.RateLimitMiddleware).

Counters live in Django's default cache, in fixed windows: in production a shared cache (Redis)
so every worker process counts together; the embedded default keeps them in-process. Keys are
hashed, so no e-mail address or login sits in the cache in clear.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from pfdo.common import context
from pfdo.common.hooks import Hook

refused = Hook(
    "ratelimit.refused",
    """An attempt was refused. Keyword arguments: actor (a user or None), municipality (whose
    operators should see it, or None), limit (the name),
    scope (what was counted: "ip", "user", "provider", ... — never the raw key), wait
    (seconds until the window ends). The audit app records it in the action history.""",
)


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


class RateLimited(Exception):
    """Too many attempts: `wait` seconds until the window of `limit` ends."""

    def __init__(self, *, limit: str, wait: int) -> None:
        self.limit = limit
        self.wait = max(1, int(wait))
        super().__init__(f"rate limit {limit!r}: retry in {self.wait} s")

    @property
    def message(self) -> str:
        return f"Слишком много попыток. Повторите через {wait_text(self.wait)}."


def wait_text(seconds: int) -> str:
    """'45 с', '3 мин', '2 ч' — the time to retry as a person reads it."""
    if seconds < 60:
        return f"{seconds} с"
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return f"{minutes} мин"
    return f"{math.ceil(minutes / 60)} ч"


def parse(name: str, spec: str) -> Limit:
    """'5/3600' → Limit(name, 5, 3600)."""
    try:
        count_text, seconds_text = spec.split("/")
        count, seconds = int(count_text), int(seconds_text)
    except ValueError:
        raise ImproperlyConfigured(
            f"PFDO_RATE_LIMITS[{name!r}] must be 'count/seconds', got {spec!r}"
        ) from None
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(f"PFDO_RATE_LIMITS[{name!r}]: both numbers must be positive")
    return Limit(name, count, seconds)


def limit(name: str) -> Limit:
    try:
        spec = settings.PFDO_RATE_LIMITS[name]
    except KeyError:
        raise ImproperlyConfigured(f"no rate limit named {name!r} in PFDO_RATE_LIMITS") from None
    return parse(name, spec)


def client_ip() -> str:
    """The address of the current request (bound by RequestContextMiddleware)."""
    return context.current().ip or "unknown"


def _now() -> float:
    """Wall-clock seconds of the windows (the test suite pins it, so that no window boundary
    falls inside a test)."""
    return time.time()


def _cache_key(lim: Limit, key: str, window: int) -> str:
    digest = hashlib.sha256(f"{lim.name}\x00{key}".encode()).hexdigest()[:32]
    return f"pfdo:rl:{lim.name}:{digest}:{window}"


def _window(lim: Limit, now: float) -> tuple[int, int]:
    """(window index, seconds until it ends)."""
    index = int(now // lim.seconds)
    return index, math.ceil((index + 1) * lim.seconds - now)


def _count(lim: Limit, key: str, now: float) -> tuple[int, int]:
    """Add one attempt; (attempts in this window, seconds left in it)."""
    index, left = _window(lim, now)
    cache_key = _cache_key(lim, key, index)
    # add() then incr(): both atomic in Redis and in the local-memory cache, so two workers
    # counting at once never lose an attempt.
    cache.add(cache_key, 0, timeout=lim.seconds + 1)
    try:
        return cache.incr(cache_key), left
    except ValueError:  # expired between add and incr: this attempt starts the window
        cache.set(cache_key, 1, timeout=lim.seconds + 1)
        return 1, left


def hit(
    *buckets: tuple[str, str],
    actor=None,
    municipality=None,
    clock: Callable[[], float] | None = None,
) -> None:
    """Count one attempt in every bucket (limit name, key — e.g. ("lookup_staff", "user:7"));
    raise `RateLimited` when any bucket is over its limit, with the longest wait.

    The scope written to the action history is the key's prefix before ":" ("ip", "user").
    """
    now = (clock or _now)()
    over: list[tuple[Limit, str, int]] = []
    for name, key in buckets:
        lim = limit(name)
        attempts, left = _count(lim, key, now)
        if attempts > lim.count:
            over.append((lim, key, left))
    if not over:
        return
    lim, key, wait = max(over, key=lambda item: item[2])
    refused.send(
        actor=actor,
        municipality=municipality,
        limit=lim.name,
        scope=key.split(":", 1)[0],
        wait=wait,
    )
    raise RateLimited(limit=lim.name, wait=wait)


def remaining(name: str, key: str, *, clock: Callable[[], float] | None = None) -> int:
    """Attempts left in the current window (for pages that say how many remain)."""
    lim = limit(name)
    index, _ = _window(lim, (clock or _now)())
    return max(0, lim.count - int(cache.get(_cache_key(lim, key, index), 0)))


def reset(name: str, key: str, *, clock: Callable[[], float] | None = None) -> None:
    """Forget the current window's attempts (e.g. after an operator unblocks a client)."""
    lim = limit(name)
    index, _ = _window(lim, (clock or _now)())
    cache.delete(_cache_key(lim, key, index))
