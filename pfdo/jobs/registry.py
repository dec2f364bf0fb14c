"""What each kind of job does: the apps register a handler in their tasks.py.

    @jobs.registry.handler("billing.month_run", label="Расчёт месяца")
    def month_run(job, progress) -> dict: ...

A handler reads its parameters from `job.params`, calls the app's own service (which checks
access and rules as for any caller), reports `progress(done, total)` as it goes, and returns
the result shown on the job's page and in the API: `{"summary": "...", "lines": [...]}`.
A `DomainError` it raises ends the job as failed with that message. A handler must be safe
to run again from the start: a job whose worker died is run again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Handler:
    kind: str
    label: str
    run: Callable[..., dict[str, Any]]


_HANDLERS: dict[str, Handler] = {}


def handler(kind: str, *, label: str):
    def register(run: Callable[..., dict[str, Any]]):
        _HANDLERS[kind] = Handler(kind=kind, label=label, run=run)
        return run

    return register


def get(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def label(kind: str) -> str:
    found = _HANDLERS.get(kind)
    return found.label if found else kind
