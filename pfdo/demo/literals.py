"""The demo's data literals (names, addresses, texts, logins) from the JSON files in data/."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> Any:
    """The parsed `data/<name>.json` (shipped as package data, so an installed demo has it)."""
    text = resources.files("pfdo.demo").joinpath("data", f"{name}.json").read_text("utf-8")
    return json.loads(text)


def time(text: str) -> dt.time:
    """«16:30» → 16:30."""
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))
