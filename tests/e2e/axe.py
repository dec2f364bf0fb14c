"""The accessibility check of every browser journey (issue 17): axe-core, installed from the npm
registry by `make node_modules/.installed` (package-lock.json pins it), runs in Chromium on every
page the journeys load and after every htmx swap, against WCAG 2.1 A and AA, in the normal mode
and in two low-vision modes (only classes on <html>, so the same page with them set by hand).

How (tests/e2e/axe_runner.js does the page's part):
- every browser context gets axe-core and the runner as init scripts and a binding the runner
  reports to; the binding's callback only records (never calls Playwright);
- the runner checks after `load` and after each settled htmx swap, and keeps
  `window.__pfdoAxeIdle` false meanwhile; before each action of a test (goto, click, fill,
  press, keys...) the harness waits for it, so a check never races the journey;
- at the end of the test it waits for the last checks and fails the test on any violation (rule,
  impact, help, the elements' selectors, the page), on a check that could not run, and on an
  HTML document that was left unchecked.

Cost: a page is checked once per session per normalised path (digits → N), kind of check (the
load, or a swap of a given target) and shape (who is logged in, whether a form shows errors);
the same violation is reported once.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Keyboard, Locator, Page
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RUNNER_JS = Path(__file__).with_name("axe_runner.js")
MODES = (
    "normal",
    "low-vision 200% black on white, images off, wide spacing",
    "low-vision 150% white on black",
)
# Pages that legitimately cannot be checked, by path (regular expressions):
EXCLUDED = (
    # The API in a browser: Swagger UI (/api/docs/) and Django REST framework's browsable API,
    # third-party developer tools with their own markup, not our templates (the API is JSON).
    r"^/api/",
)
# Rule + page pairs that belong to another helper of issue 17 and are fixed in their branch;
# the lead removes each line once that branch is merged. Keep it empty otherwise.
KNOWN: set[tuple[str, str]] = set()
# How long an action waits for the page's checks (a large page, three modes, a busy machine).
IDLE_TIMEOUT_MS = 30_000
ACTIONS = {
    Page: (
        "goto",
        "reload",
        "go_back",
        "go_forward",
        "click",
        "dblclick",
        "fill",
        "type",
        "press",
        "check",
        "uncheck",
        "select_option",
        "set_input_files",
        "tap",
        "hover",
        "focus",
        "evaluate",
        "screenshot",
        "set_viewport_size",
        "close",
    ),
    Locator: (
        "click",
        "dblclick",
        "fill",
        "type",
        "press",
        "press_sequentially",
        "check",
        "uncheck",
        "set_checked",
        "select_option",
        "set_input_files",
        "tap",
        "hover",
        "focus",
        "clear",
        "evaluate",
        "screenshot",
        "inner_text",
        "bounding_box",
    ),
    Keyboard: ("press", "type", "down", "up", "insert_text"),
}


def normalised(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def excluded(path: str) -> bool:
    return any(re.search(pattern, path) for pattern in EXCLUDED)


@dataclass
class Session:
    """What the whole run checked: each (page, kind, shape, mode) once, each violation once."""

    checked: set = field(default_factory=set)
    violations_seen: set = field(default_factory=set)
    pages: set = field(default_factory=set)
    runs: int = 0
    waited: float = 0.0  # seconds the journeys spent waiting for checks: the check's cost
    skipped_reason: str | None = None


SESSION = Session()


@dataclass
class Watch:
    """One test's pages: the runner's reports, the documents loaded and checked."""

    pages: list = field(default_factory=list)
    loads: dict = field(default_factory=dict)  # page → URLs of the http documents loaded
    begun: dict = field(default_factory=dict)  # doc id → URL
    done: set = field(default_factory=set)
    problems: list = field(default_factory=list)

    def report(self, source, message):  # the binding's callback: records only
        kind = message.get("kind")
        doc, url, path = message.get("doc"), message.get("url"), message.get("path", "")
        if kind == "begin":
            self.begun[doc] = url
            if excluded(path):
                return []
            key = (normalised(path), message.get("trigger"), message.get("shape"))
            modes = [mode for mode in MODES if (key, mode) not in SESSION.checked]
            SESSION.checked.update((key, mode) for mode in modes)
            if modes:
                SESSION.pages.add(key)
            return modes
        if kind == "result":
            SESSION.runs += 1
            for violation in message["violations"]:
                if (violation["id"], normalised(path)) in KNOWN:
                    continue
                fresh = [
                    node
                    for node in violation["nodes"]
                    if (normalised(path), message["mode"], violation["id"], node["target"])
                    not in SESSION.violations_seen
                ]
                for node in fresh:
                    SESSION.violations_seen.add(
                        (normalised(path), message["mode"], violation["id"], node["target"])
                    )
                if fresh:
                    self.problems.append(describe(url, message["mode"], violation, fresh))
        elif kind == "error":
            self.problems.append(f"axe-core could not check {url}: {message['message']}")
        elif kind == "done":
            self.done.add(doc)
        return None

    def track(self, page: Page) -> None:
        self.pages.append(page)
        self.loads[page] = []
        page.on("load", lambda p: self._loaded(p))

    def _loaded(self, page: Page) -> None:
        if page.url.startswith(("http://", "https://")):
            self.loads.setdefault(page, []).append(page.url)

    def unchecked(self) -> list[str]:
        missing = [url for doc, url in self.begun.items() if doc not in self.done]
        loaded = sum(len(urls) for urls in self.loads.values())
        if loaded > len(self.done):
            missing.append(
                f"{loaded} documents loaded, {len(self.done)} reported by the check (the "
                "runner did not run in some: was its init script refused?)"
            )
        return missing


def describe(url: str, mode: str, violation: dict, nodes: list) -> str:
    lines = [
        f"{violation['id']} ({violation['impact']}) on {url} [{mode}]: {violation['help']}"
        f" — {violation['helpUrl']}"
    ]
    for node in nodes:
        lines.append(f"    {node['target']}  {node['html']}")
        if node["summary"]:
            lines.append("      " + node["summary"].replace("\n", "\n      "))
    if violation["count"] > len(violation["nodes"]):
        lines.append(f"    … {violation['count']} elements in all")
    return "\n".join(lines)


def wait_idle(page: Page) -> None:
    """Wait until the page's checks are done (never from a binding callback)."""
    if page.is_closed():
        return
    started = time.monotonic()
    try:
        _wait_idle(page)
    finally:
        SESSION.waited += time.monotonic() - started


def _wait_idle(page: Page) -> None:
    for _attempt in range(3):
        try:
            page.wait_for_function(
                "() => window.__pfdoAxeIdle !== false", timeout=IDLE_TIMEOUT_MS, polling=50
            )
            return
        except PlaywrightError as error:
            if page.is_closed():
                return
            if "Timeout" in str(error):
                raise AssertionError(
                    f"the accessibility check of {page.url} did not finish in "
                    f"{IDLE_TIMEOUT_MS / 1000:.0f} s"
                ) from error
            # the document navigated away while waiting: wait for the next one


def install(request, monkeypatch) -> Watch | None:
    """Checks every context the test opens; returns the watch, None when there is no axe."""
    if not AXE_JS.exists():
        reason = (
            f"axe-core is not installed ({AXE_JS.relative_to(ROOT)} missing): run "
            "`make node_modules/.installed` (npm ci) — the browser journeys check accessibility"
        )
        if os.environ.get("PFDO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; PFDO_REQUIRE_BROWSER=1 forbids skipping")
        SESSION.skipped_reason = reason
        pytest.skip(reason)

    watch = Watch()
    axe_source = AXE_JS.read_text(encoding="utf-8")
    runner_source = RUNNER_JS.read_text(encoding="utf-8")
    new_context = Browser.new_context

    def checked_context(self, *args, **kwargs):
        context = new_context(self, *args, **kwargs)
        if kwargs.get("java_script_enabled") is False:
            # axe-core is a script: a page with scripts off cannot check itself. Such a journey
            # (the low-vision panel without JavaScript) shows pages other journeys check.
            return context
        context.expose_binding("__pfdoAxeReport", watch.report)
        context.add_init_script(axe_source)
        context.add_init_script(runner_source)
        context.on("page", watch.track)
        return context

    monkeypatch.setattr(Browser, "new_context", checked_context)

    def keyboard_page(keyboard) -> Page | None:
        for page in watch.pages:
            if not page.is_closed() and page.keyboard is keyboard:
                return page
        return None

    def wrap(cls, name):
        original = getattr(cls, name)

        def waiting(self, *args, **kwargs):
            if cls is Page:
                page = self
            elif cls is Locator:
                page = self.page
            else:
                page = keyboard_page(self)
            if page is not None and page in watch.pages:
                wait_idle(page)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, waiting)

    for cls, names in ACTIONS.items():
        for name in names:
            wrap(cls, name)

    context_close = BrowserContext.close

    def close(self, *args, **kwargs):
        for page in self.pages:
            if page in watch.pages:
                wait_idle(page)
        return context_close(self, *args, **kwargs)

    monkeypatch.setattr(BrowserContext, "close", close)
    return watch


def verify(watch: Watch) -> None:
    """At the end of a test: the last checks finished, every document was checked, no
    violation."""
    for page in watch.pages:
        if not page.is_closed():
            wait_idle(page)
    problems = list(watch.problems)
    problems += [f"not checked: {what}" for what in watch.unchecked()]
    if problems:
        pytest.fail(
            "accessibility (axe-core, WCAG 2.1 A/AA):\n" + "\n".join(problems), pytrace=False
        )


def summary_line() -> str:
    if SESSION.skipped_reason:
        return f"accessibility NOT CHECKED: {SESSION.skipped_reason}"
    return (
        f"accessibility (axe-core, WCAG 2.1 A/AA): {len(SESSION.pages)} pages checked "
        f"({SESSION.runs} runs over {len(MODES)} modes), "
        f"{len(SESSION.violations_seen)} violations; the journeys waited "
        f"{SESSION.waited:.1f} s for the checks"
    )
