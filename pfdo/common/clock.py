"""The one source of the current time, so tests can move it (billing months, expiries, ages)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Aware current time (UTC), or the time a test has frozen."""
    return _frozen if _frozen is not None else timezone.now()


def today() -> dt.date:
    """Today's date in the server's time zone."""
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen(at: dt.datetime | dt.date) -> Iterator[None]:
    """Freeze `now()` at a moment; a date means local midday of that day."""
    global _frozen
    if isinstance(at, dt.datetime):
        moment = at if timezone.is_aware(at) else timezone.make_aware(at)
    else:
        moment = timezone.make_aware(dt.datetime.combine(at, dt.time(12, 0)))
    previous, _frozen = _frozen, moment
    try:
        yield
    finally:
        _frozen = previous
