"""The shared cache that degrades instead of failing: Redis, or this process's memory while
Redis does not answer.

Rate-limit counters (and anything else cached) live in Redis so every worker process of a
deployment counts together. When Redis stops answering, a page must not fail for it: each
operation is bounded by short socket timeouts, and the first failure opens a breaker — for
`RETRY_AFTER` seconds (default 5) every operation goes to a process-local memory cache, so
rate limits still hold, per process, and no request waits on a dead server. Then the next
operation tries Redis again; when it answers, counting is shared again (what was counted
locally meanwhile is not carried over: a window's counter starts afresh in Redis, which lets a
client at most one extra window's worth of attempts per process — the price of not failing).

The outage is logged once when it begins, then at most once per `LOG_INTERVAL` seconds
(default 60) while it lasts, and once when Redis answers again.

    CACHES = {"default": {"BACKEND": "pfdo.common.cache.ResilientRedisCache",
                          "LOCATION": "redis://127.0.0.1:6379/0",
                          "OPTIONS": {"RETRY_AFTER": 5, "socket_timeout": 0.25}}}
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# A cache operation waits at most this long on a connection (and on a reply) before Redis
# counts as not answering. A healthy Redis on the local network answers in well under 1 ms.
SOCKET_TIMEOUT = 0.25


class _Breaker:
    """Whether Redis is to be tried now; one per server per process, shared by the threads
    (Django makes a cache object per thread)."""

    def __init__(self, where: str, retry_after: float, log_interval: float) -> None:
        self.where, self.retry_after, self.log_interval = where, retry_after, log_interval
        self.open_until = 0.0  # monotonic; 0 while Redis answers
        self.down_since: float | None = None
        self.failures = 0
        self.logged_at = 0.0
        self.lock = threading.Lock()

    def closed(self) -> bool:
        return self.open_until == 0.0 or time.monotonic() >= self.open_until

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with self.lock:
            self.open_until = now + self.retry_after
            self.failures += 1
            first = self.down_since is None
            if first:
                self.down_since = now
            if first or now - self.logged_at >= self.log_interval:
                self.logged_at = now
                logger.warning(
                    "cache: Redis %s does not answer (%s: %s); this process uses its own "
                    "memory cache and tries Redis again every %s s (%d failures so far)",
                    self.where,
                    type(exc).__name__,
                    exc,
                    self.retry_after,
                    self.failures,
                )

    def answered(self) -> None:
        if self.down_since is None:
            return
        with self.lock:
            if self.down_since is None:
                return
            logger.warning(
                "cache: Redis %s answers again after %.0f s; counting is shared again",
                self.where,
                time.monotonic() - self.down_since,
            )
            self.open_until, self.down_since, self.failures = 0.0, None, 0


_breakers: dict[str, _Breaker] = {}
_breakers_lock = threading.Lock()


def _breaker(where: str, retry_after: float, log_interval: float) -> _Breaker:
    with _breakers_lock:
        if where not in _breakers:
            _breakers[where] = _Breaker(where, retry_after, log_interval)
        return _breakers[where]


def _redacted(location: str) -> str:
    """The server's address for the log, without a password."""
    scheme, sep, rest = location.partition("://")
    return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}" if sep else location


class ResilientRedisCache(RedisCache):
    """Django's RedisCache with short timeouts and a process-local fallback (module docstring)."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        retry_after = float(options.pop("RETRY_AFTER", 5))
        log_interval = float(options.pop("LOG_INTERVAL", 60))
        options.setdefault("socket_timeout", SOCKET_TIMEOUT)
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
        params["OPTIONS"] = options
        super().__init__(server, params)
        where = _redacted(server if isinstance(server, str) else ",".join(server))
        self._breaker = _breaker(where, retry_after, log_interval)
        # LocMemCache instances of one name share their storage in the process.
        self._local = LocMemCache(
            f"pfdo-fallback:{where}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                "OPTIONS": {"MAX_ENTRIES": 10_000},
            },
        )

    @property
    def degraded(self) -> bool:
        """True while operations go to the process-local cache."""
        return not self._breaker.closed()

    def _either(self, name: str, *args, **kwargs):
        if self._breaker.closed():
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except RedisError as exc:
                self._breaker.failed(exc)
            else:
                self._breaker.answered()
                return result
        return getattr(self._local, name)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._either("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._either("delete", key, version)

    def get_many(self, keys, version=None):
        return self._either("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._either("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        # ValueError (no such key) is the cache's answer, not a failure: it passes through.
        return self._either("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._either("delete_many", keys, version)

    def clear(self):
        self._local.clear()
        return self._either("clear")
