"""Named points where a lower app lets a higher one finish the same use case, in its
transaction.

The apps depend downwards only, so a certificate that ends cannot call enrolment to end its
contracts. The lower app declares a `Hook` where its use case needs the higher app's part; the
higher app connects its handler in `AppConfig.ready()`. A hook is not a signal: it is called
explicitly, inside the service's transaction (a handler's error rolls the whole use case
back), with keyword arguments the declaring service documents, and the declaring app's tests
prove it is connected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Hook:
    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc
        self._handlers: list[Callable[..., Any]] = []

    def connect(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        """Add a handler once (ready() may run more than once in tests)."""
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    @property
    def handlers(self) -> tuple[Callable[..., Any], ...]:
        return tuple(self._handlers)

    def send(self, **kwargs: Any) -> None:
        """Call every handler in the order connected; an error propagates to the caller."""
        for handler in self._handlers:
            handler(**kwargs)

    def collect(self, **kwargs: Any) -> list[Any]:
        """Call every handler in the order connected and return their answers, in order
        (a registry of checks: each handler answers with its problems)."""
        return [handler(**kwargs) for handler in self._handlers]

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._handlers)} handler(s)>"
