"""The security checks of `make lint` can fail: reasons for `S` suppressions (ruff's bandit rules)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


suppressions = _script("check_suppressions")


@pytest.mark.parametrize(
    "source",
    [
        'KEY = "x"  # noqa: S105\n',
        'KEY = "x"  # noqa: S105 -\n',
        'KEY = "x"  # noqa: S105 ok\n',  # one word is not a reason
        'KEY = "x"  # noqa: E501, S105\n',
        "# ruff: noqa: S603\nimport subprocess\n",
        'KEY = "x"  # noqa\n',  # blanket: hides S105 too
        'x = 1\nKEY = "x"  # noqa: S105\n',  # the line above is code, not a reason
    ],
)
def test_a_security_suppression_without_reason_is_refused(source):
    assert suppressions.noqa_problems(source, "sample.py")


@pytest.mark.parametrize(
    "source",
    [
        'KEY = "x"  # noqa: S105 - an attribute name, not a secret\n',
        'KEY = "x"  # noqa: S105 (a public marker)\n',
        '# The published demo password, printed in the README.\nKEY = "x"  # noqa: S105\n',
        "f = lambda: 1  # noqa: E731\n",  # not a security rule
        'TEXT = "# noqa: S105"\n',  # inside a string, not a comment
    ],
)
def test_a_reasoned_or_unrelated_suppression_passes(source):
    assert suppressions.noqa_problems(source, "sample.py") == []


def test_config_ignores_of_s_rules_need_a_reason():
    bare = '[tool.ruff.lint]\nignore = [\n    "S101",\n]\n'
    per_file = '[tool.ruff.lint.per-file-ignores]\n"x/**" = ["S105", "E501"]\n'
    family = '[tool.ruff.lint]\nextend-ignore = ["S"]\n'
    for text in (bare, per_file, family):
        assert suppressions.config_problems(text), text

    inline = '[tool.ruff.lint]\nignore = [\n    "S101",  # assert is how pytest tests\n]\n'
    above = '[tool.ruff.lint.per-file-ignores]\n# The demo draws at random.\n"d/**" = ["S311"]\n'
    selected = '[tool.ruff.lint]\nselect = ["E", "S"]\n'
    elsewhere = '[tool.other]\nignore = ["S101"]\n'
    for text in (inline, above, selected, elsewhere):
        assert suppressions.config_problems(text) == [], text


def test_the_tree_gives_a_reason_for_every_security_suppression():
    assert suppressions.check_tree(ROOT) == []
