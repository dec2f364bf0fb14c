"""Compatibility operations: (filled by the issue-16 work on this group)."""

from __future__ import annotations

routes: list = []
