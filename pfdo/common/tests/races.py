"""Machinery of the PostgreSQL race tests: real threads, each with its own connection.

A pool of threads runs the calls; the first wave waits at a barrier so it starts together,
the rest start the moment a thread is free. Every call's result or exception comes back in
call order.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth import get_user_model
from django.db import connection, connections

MAX_WORKERS = 40


def pool_size(wanted: int = MAX_WORKERS) -> int:
    """At most `wanted` threads, fewer if the server has fewer free connections."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        limit = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_stat_activity")
        used = cursor.fetchone()[0]
    return max(4, min(wanted, limit - used - 10))


def run_at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call in the pool; returns what each returned or raised, in call order."""
    workers = min(pool_size(), len(calls))
    # The main thread is the barrier's last party: the first wave starts together.
    barrier = threading.Barrier(workers + 1)

    def task(index: int):
        try:
            if index < workers:
                barrier.wait(timeout=60)
            return calls[index]()
        except Exception as exc:
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(task, i) for i in range(len(calls))]
        barrier.wait(timeout=60)
        return [f.result(timeout=300) for f in futures]


def as_user(user_id: int):
    """A fresh User for a thread: cached memberships are not shared between threads."""
    return get_user_model().objects.get(pk=user_id)


def errors_of(outcomes) -> list[BaseException]:
    return [o for o in outcomes if isinstance(o, BaseException)]


def codes(outcomes) -> Counter:
    return Counter(getattr(o, "code", type(o).__name__) for o in errors_of(outcomes))
