"""The plumbing of the service state machines: each sequence in its own rolled-back
transaction, a clock of its own, and services run at that time with their refusals judged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from django.db import transaction
from django.utils import timezone
from hypothesis.stateful import RuleBasedStateMachine

from pfdo.common import clock
from pfdo.common.errors import DomainError

NONE: dict[str, Callable[[], bool]] = {}


class ServiceRules(RuleBasedStateMachine):
    """A subclass sets `start` (an aware datetime) and `world` (with a `reached` Counter of
    what the sequences did, by action and outcome)."""

    start: dt.datetime
    world: object

    def __init__(self):
        super().__init__()
        self.now = self.start
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    def _do(self, action: str, call, allowed: Mapping[str, Callable[[], bool]] = NONE):
        """Run a service at the machine's time. A refusal must be one `allowed` for this
        action, and the state must justify it (its check, run after the refusal, holds);
        any other refusal is a failure."""
        with clock.frozen(self.now):
            try:
                result = call()
            except DomainError as exc:
                self.world.reached[f"{action}:{exc.code}"] += 1
                assert exc.code in allowed, (action, exc.code, exc.message, self.today)
                assert allowed[exc.code](), (action, exc.code, exc.message, self.today)
                return None
        self.world.reached[f"{action}:ok"] += 1
        return result
