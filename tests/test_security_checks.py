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


# ------------------------------------------------------------------- the lock and its audit

lock = _script("lock")
audit = _script("audit")


def _fake_env(**dists):
    """An installed environment: name → (version, Requires-Dist lines)."""
    return lambda name: dists.get(name)


def test_the_lock_must_cover_every_dependency_at_the_installed_version():
    requirements = [lock.Requirement("Django>=5.2,<6"), lock.Requirement("psycopg[binary]>=3.2")]
    env = _fake_env(
        django=("5.2.19", ["asgiref>=3.8", 'tzdata; sys_platform == "win32"']),
        asgiref=("3.13.0", []),
        psycopg=("3.2.9", ['psycopg-binary==3.2.9; extra == "binary"', 'pool; extra == "pool"']),
        **{"psycopg-binary": ("3.2.9", [])},
    )
    whole = {"django": "5.2.19", "asgiref": "3.13.0", "psycopg": "3.2.9", "psycopg-binary": "3.2.9"}
    assert lock.problems(whole, requirements, env) == []

    transitive_missing = {k: v for k, v in whole.items() if k != "psycopg-binary"}
    assert any("psycopg-binary" in p for p in lock.problems(transitive_missing, requirements, env))
    other_version = {**whole, "asgiref": "3.8.1"}
    assert any("installed 3.13.0" in p for p in lock.problems(other_version, requirements, env))
    out_of_range = {**whole, "django": "6.0"}
    assert any("wants" in p for p in lock.problems(out_of_range, requirements, env))
    stale = {**whole, "redis": "7.4.1"}
    assert any("needed by nothing" in p for p in lock.problems(stale, requirements, env))


def test_the_lock_covers_pyproject_and_this_environment():
    assert lock.check() == []


PINS = {"django": "5.2.19", "pillow": "12.0.0"}
UNREACHABLE = "the package index here serves no per-release JSON"


def _report(*deps):
    return {"dependencies": list(deps), "fixes": []}


def _ok(name, version):
    return {"name": name, "version": version, "vulns": []}


def _skipped(name):
    return {"name": name, "skip_reason": "Dependency not found on PyPI and could not be audited"}


def test_the_audit_fails_on_a_vulnerability():
    vulnerable = {"name": "django", "version": "5.2.19", "vulns": [{"id": "PYSEC-2099-1"}]}
    lines, status = audit.evaluate(PINS, _report(vulnerable, _ok("pillow", "12.0.0")))
    assert status == 1
    assert "VULNERABLE: django 5.2.19: PYSEC-2099-1" in lines


def test_a_skipped_package_fails_the_audit_while_pypi_answers():
    lines, status = audit.evaluate(
        PINS, _report(_skipped("django"), _ok("pillow", "12.0.0")), state=lambda n, v: None
    )
    assert status == 1
    assert any("while PyPI answers" in line for line in lines)


def test_an_unreachable_service_says_not_audited_and_fails_only_when_strict():
    report = _report(_skipped("django"), _skipped("pillow"))
    kwargs = {"state": lambda n, v: UNREACHABLE, "latest": lambda n, v: None}
    lines, status = audit.evaluate(PINS, report, **kwargs)
    assert status == 0
    assert any(line.startswith("NOT AUDITED: 2 of 2") and UNREACHABLE in line for line in lines)
    assert audit.evaluate(PINS, report, strict=True, **kwargs)[1] == 1

    failed, status = audit.evaluate(PINS, None, "ConnectionError: api.osv.dev")
    assert status == 0 and failed[0].startswith("NOT AUDITED: 2 packages")
    assert audit.evaluate(PINS, None, "ConnectionError", strict=True)[1] == 1


def test_a_latest_release_is_still_checked_against_its_advisories():
    report = _report(_skipped("django"), _skipped("pillow"))
    advisories = {"django": None, "pillow": ["GHSA-xxxx"]}
    lines, status = audit.evaluate(
        PINS, report, state=lambda n, v: UNREACHABLE, latest=lambda n, v: advisories[n]
    )
    assert status == 1
    assert "VULNERABLE: pillow 12.0.0: GHSA-xxxx" in lines
    assert any(line.startswith("NOT AUDITED: 1 of 2 packages (django)") for line in lines)
