"""Example counts of the property tests, scaled by the Hypothesis profile (`ci` or `soak`)."""

from __future__ import annotations

from hypothesis import settings

CI_EXAMPLES = 100  # Hypothesis' own default: what the tests without a count ran with
SOAK_FACTOR = 10


def examples(count: int) -> int:
    """`count` under the `ci` profile, ten times `count` under `soak` (see conftest.py)."""
    return max(1, count * settings.default.max_examples // CI_EXAMPLES)
