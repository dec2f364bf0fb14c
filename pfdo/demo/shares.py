"""Sharing a count out in proportion to weights (how many programmes, children, contracts…)."""

from __future__ import annotations


def proportional(total: int, weights: list[int]) -> list[int]:
    """`total` in proportion to `weights`, the remainder one each to the heaviest."""
    whole = sum(weights)
    counts = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: -weights[i])
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts
