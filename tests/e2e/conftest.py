"""Browser journeys in Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (seeding) would otherwise be refused. Only here, never in settings.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("PFDO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; PFDO_REQUIRE_BROWSER=1 forbids skipping")
        pytest.skip(reason)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def demo(transactional_db):
    """The Vorkuta demo without its generated catalogue: territory, one login per role, the
    financing period and the hand-written providers and programmes (seconds, not half a minute).
    Seeded once per session, copied back for each later journey (tests/e2e/demo_snapshot.py).
    """
    from django.core.cache import caches

    from pfdo.demo.seed import seed
    from tests.e2e import demo_snapshot

    taken = _SNAPSHOTS.get("demo")
    if taken is not None:
        return demo_snapshot.restore(taken)
    for cache in caches.all():
        cache.clear()
    report = seed("small", generated=False)
    taken = demo_snapshot.take(report)
    if taken is not None:
        _SNAPSHOTS["demo"] = taken
    return report


# The demo copied aside by the first journey of this session (None: not taken yet).
_SNAPSHOTS: dict[str, object] = {}


@pytest.fixture
def komi(transactional_db):
    """Only the territory (Komi, Vorkuta): for journeys that build their own catalogue."""
    from pfdo.demo.territory import seed_komi

    return seed_komi()


@pytest.fixture(autouse=True)
def _accessibility(request, monkeypatch):
    """Every page of every browser journey checked with axe-core (tests/e2e/axe.py): the test
    fails on a WCAG 2.1 A/AA violation in the normal or the low-vision mode."""
    if request.node.get_closest_marker("e2e") is None:
        yield
        return
    from tests.e2e import axe

    watch = axe.install(request, monkeypatch)
    request.node.axe_watch = watch  # tests/e2e/test_accessibility_check.py reads it
    # The page's context is opened after the harness is in place and closed after its last
    # check is verified.
    if "page" in request.fixturenames:
        request.getfixturevalue("page")
    yield
    axe.verify(watch)


def pytest_terminal_summary(terminalreporter):
    from tests.e2e import axe

    if axe.SESSION.checked or axe.SESSION.skipped_reason:
        terminalreporter.write_line(axe.summary_line())
