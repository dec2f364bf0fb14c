"""The one source of the current time, so tests can move it (billing months, expiries, ages).

`PFDO_TODAY` in the environment pins the clock of a whole process, so a benchmark or a demo
does not depend on the day it runs: `PFDO_TODAY=2026-11-28` is local midday of that day,
`PFDO_TODAY=2026-11-28T10:00` that local moment. `frozen()` still wins inside its block.
Unset (the normal case), the clock is the real time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
from collections.abc import Iterator

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Aware current time (UTC), or the time a test has frozen, or the pinned one."""
    if _frozen is not None:
        return _frozen
    pinned = os.environ.get("PFDO_TODAY")
    return _pinned(pinned) if pinned else timezone.now()


def today() -> dt.date:
    """Today's date in the server's time zone."""
    return timezone.localdate(now())


def _moment(at: dt.datetime | dt.date) -> dt.datetime:
    """A date means local midday of that day; a naive moment is local time."""
    if isinstance(at, dt.datetime):
        return at if timezone.is_aware(at) else timezone.make_aware(at)
    return timezone.make_aware(dt.datetime.combine(at, dt.time(12, 0)))


@functools.lru_cache(maxsize=4)
def _pinned(raw: str) -> dt.datetime:
    # Parsed once per value: now() is called for every row default.
    raw = raw.strip()
    return _moment(dt.datetime.fromisoformat(raw) if "T" in raw else dt.date.fromisoformat(raw))


@contextlib.contextmanager
def frozen(at: dt.datetime | dt.date) -> Iterator[None]:
    """Freeze `now()` at a moment; a date means local midday of that day."""
    global _frozen
    moment = _moment(at)
    previous, _frozen = _frozen, moment
    try:
        yield
    finally:
        _frozen = previous
