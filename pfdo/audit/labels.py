"""Human names of action codes; each app registers its own in AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Mapping

ACTION_LABELS: dict[str, str] = {}


def register(labels: Mapping[str, str]) -> None:
    ACTION_LABELS.update(labels)


def label(code: str) -> str:
    return ACTION_LABELS.get(code, code)
