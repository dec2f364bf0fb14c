"""Screenshots of pages of a running demo (`make run`), for docs/screenshots/.

    python scripts/screenshots.py [--base-url http://127.0.0.1:8000] [--login operator]
        [--shot dashboard=/cabinet/reports/] [--out docs/screenshots]

Each shot is taken full-page at 1280 and 390 px wide (`<name>-1280.png`, `<name>-390.png`)
with Debian's Chromium (/usr/bin/chromium; never a downloaded browser). At 390 px the script
fails if the page scrolls sideways: wide tables must scroll inside their own region.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
WIDTHS = (1280, 390)
# The demo logins' documented password (README, pfdo/demo/accounts.py).
DEMO_PASSWORD = "vorkuta-demo-2026"  # noqa: S105 - the demo's published password, not a secret


def log_in(page, base: str, login: str, password: str) -> None:
    page.goto(base + "/login/")
    form = page.locator("main form")
    form.locator('input[name="username"]').fill(login)
    form.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name="Войти").click()
    if "/login/" in page.url:
        raise SystemExit(f"login as {login!r} failed at {base}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--login", default="operator")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument(
        "--shot",
        action="append",
        metavar="NAME=PATH",
        help="a page to shoot (repeatable); default dashboard=/cabinet/reports/",
    )
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args(argv)
    shots = [s.split("=", 1) for s in (args.shot or ["dashboard=/cabinet/reports/"])]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = args.base_url.rstrip("/")
    failures = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, locale="ru-RU")
        page = context.new_page()
        log_in(page, base, args.login, args.password)
        for name, path in shots:
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                print(f"{target}  ({page.url}, sideways overflow {overflow} px)")
                if width < 500 and overflow > 0:
                    failures.append(f"{name} scrolls sideways by {overflow} px at {width} px")
        browser.close()
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
