"""Test-wide setup: the database choice, the skip policy of CI, shared fixtures."""

from __future__ import annotations

import os

import pytest
from _pytest.mark.expression import Expression
from django.conf import settings
from hypothesis import settings as hypothesis_settings

from pfdo.common.tests.examples import CI_EXAMPLES, SOAK_FACTOR

# `ci` (the default): today's example counts with fixed seeds, so every property test and
# state machine draws the same examples on every run and CI never fails on a rare draw;
# `soak` (HYPOTHESIS_PROFILE=soak, `make soak`): ten times the examples from fresh seeds.
# Tests that set their own count scale it with pfdo.common.tests.examples.examples(n).
hypothesis_settings.register_profile(
    "ci", max_examples=CI_EXAMPLES, derandomize=True, database=None
)
hypothesis_settings.register_profile(
    "soak", max_examples=CI_EXAMPLES * SOAK_FACTOR, derandomize=False
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REQUIRED = (
    os.environ.get("PFDO_REQUIRE_POSTGRES") == "1" or os.environ.get("PFDO_REQUIRE_BROWSER") == "1"
)


def _is_sqlite() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """With PFDO_TEST_DB_TEMPLATE (set by `make test`, scripts/test_db_template.py), the
    PostgreSQL test database is copied from that migrated template instead of migrated again
    by each process; Django's migrate then finds nothing to apply."""
    template = os.environ.get("PFDO_TEST_DB_TEMPLATE", "")
    if template and not _is_sqlite():
        settings.DATABASES["default"].setdefault("TEST", {})["TEMPLATE"] = template


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or db.get('NAME')}"


# Modules of the SQLite pass marked by where they live, not by a line in each file: the demo
# seed that `make run` performs on SQLite, and the bulk demo writer (COPY on PostgreSQL).
SQLITE_PATHS = ("pfdo/demo/tests/",)


def _is_serial(item) -> bool:
    """Browser journeys and races (real threads, connections, a live server and Chromium), and
    the API contract: they run in a pass of their own, without xdist (`make test-postgres`).
    """
    if item.get_closest_marker("e2e") or item.path.name == "test_races.py":
        return True
    # schemathesis gives every operation of a test function the same node id; under xdist
    # only one operation per function is run and reported (checked: a failing operation
    # passed), so the API contract runs in the xdist-free pass.
    if "api_contract" in item.path.parts:
        return True
    db = item.get_closest_marker("django_db")
    transactional = db is not None and db.kwargs.get("transaction", False)
    return bool(item.get_closest_marker("postgres_only") and transactional)


# Modules of the xdist pass that take tens of seconds each (the demo seed shared by a module,
# the property tests and state machines); by file name, as `--durations` shows them.
LONG_MODULES = ("test_seed.py", "properties.py", "test_form_accessibility.py")

# The markers every test of the API contract carries (added below).
CONTRACT_MARKERS = frozenset({"serial", "contract"})


def pytest_ignore_collect(collection_path, config):
    """The API contract is not even collected by a pass whose `-m` deselects it: schemathesis
    builds its coverage cases while collecting (about half a minute of CPU), which every other
    pass of `make test` — each xdist worker included — would pay for nothing."""
    if "api_contract" not in collection_path.parts or not config.option.markexpr:
        return None
    selected = Expression.compile(config.option.markexpr).evaluate(
        lambda name, **kwargs: name in CONTRACT_MARKERS
    )
    return True if not selected else None


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by the markers added here
def pytest_collection_modifyitems(config, items):
    """Marks what the passes of `make test` select by; deselects PostgreSQL-only tests
    (row locks, real concurrency) on SQLite.

    Deselected, not skipped: on SQLite they cannot mean anything, and the PostgreSQL pass
    of the same suite runs them.
    """
    root = config.rootpath
    for item in items:
        if item.get_closest_marker("e2e") and "e2e" not in item.path.parts:
            # `make test` runs the browser journeys from tests/e2e alone (Makefile).
            raise pytest.UsageError(f"{item.nodeid}: a browser journey lives in tests/e2e/")
        where = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        if where.startswith(SQLITE_PATHS):
            item.add_marker(pytest.mark.sqlite)
        if _is_serial(item):
            item.add_marker(pytest.mark.serial)
        if "api_contract" in item.path.parts:
            item.add_marker(pytest.mark.contract)
        if item.path.name.endswith("properties.py"):
            item.add_marker(pytest.mark.hypothesis)  # `make soak` (-m hypothesis)
    if hasattr(config, "workerinput"):
        # xdist hands out whole modules in collection order: the longest go first, so the
        # pass does not end with one worker alone on a minute-long module.
        items.sort(key=lambda item: not item.path.name.endswith(LONG_MODULES))
    if not _is_sqlite():
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# A child's СНИЛС or document number in an answer to a non-official or in a log line fails
# the phase of the test that produced it (pfdo/common/tests/pd_scan.py, config/settings_test.py):
# setup and teardown too, so what a module's world or a live server did is never lost.
def _scan_for_personal_data(item, phase):
    from pfdo.common.tests import pd_scan

    try:
        return (yield)
    finally:
        pd_scan.raise_if_found(f"the {phase} of {item.nodeid}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _scan_for_personal_data(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _scan_for_personal_data(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item):
    return (yield from _scan_for_personal_data(item, "teardown"))


def pytest_sessionfinish(session, exitstatus):
    """With PFDO_REQUIRE_* set (CI), a skipped test fails the run."""
    if not REQUIRED:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"FAILED: {len(skipped)} test(s) skipped while PFDO_REQUIRE_* is set:", red=True
        )
        for report in skipped:
            reporter.write_line(f"  {report.nodeid}: {report.longrepr}", red=True)
        session.exitstatus = 1


# 450 s into a day that is also the start of a week (2026-01-01 was day 20454 since the epoch,
# a multiple of 7): every window of the limits (15 min, an hour, a day, a week) is running,
# with at least 450 s left, whatever the wall clock says.
PINNED_RATE_LIMIT_TIME = 86_400 * 20_454 + 450.0


@pytest.fixture(autouse=True)
def _fresh_rate_limits(monkeypatch):
    """Rate-limit counters live in the cache: each test starts with none (a module's earlier
    tests must not spend a later test's attempts), and the windows' clock is pinned, so a
    test's attempts never straddle a window boundary (an hour's limit crossing 19:00 let a
    third attempt through)."""
    from django.core.cache import cache

    from pfdo.common import ratelimit

    cache.clear()
    monkeypatch.setattr(ratelimit, "_now", lambda: PINNED_RATE_LIMIT_TIME)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def region(db):
    from pfdo.territory.tests.factories import RegionFactory

    return RegionFactory(code="komi", name="Республика Коми", okato="11")


@pytest.fixture
def vorkuta(region):
    from pfdo.territory.tests.factories import MunicipalityFactory

    return MunicipalityFactory(region=region, code="vorkuta", name="Воркута", number=2)


@pytest.fixture
def make_user(db):
    """make_user(role=None, municipality=None, region=None, **fields) → a user with that role."""
    from pfdo.common.tests.worlds import make_user as make

    return make


@pytest.fixture
def operator(make_user, vorkuta):
    """The operator of Vorkuta."""
    return make_user("operator", municipality=vorkuta)
