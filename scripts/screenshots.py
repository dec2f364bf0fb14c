"""Screenshots of pages of a running demo (`make run`), for docs/screenshots/.

    python scripts/screenshots.py [--base-url http://127.0.0.1:8000] [--login operator]
        [--shot dashboard=/cabinet/reports/] [--out docs/screenshots]
    python scripts/screenshots.py --login "" --low-vision f2.cbw.i0.s0 --top
        --shot low-vision=/catalog/

Each shot is taken at 1280 and 390 px wide (`<name>-1280.png`, `<name>-390.png`) with Debian's
Chromium (/usr/bin/chromium; never a downloaded browser): the full page, or with `--top` the top
of it (1.5 screens tall at 1280 px, 2 at 390 px, so large text stays readable in the docs).
`--login ""` shoots as an anonymous visitor. `--low-vision SETTINGS` (as the cookie:
f0-3.c0|cbw|cwb.i0|1.s0|1) switches the version for the visually impaired on the way a visitor
does: the «Версия для слабовидящих» link, the settings form, «Применить». At 390 px the script
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
CONTRAST = {"c0": "normal", "cbw": "bw", "cwb": "wb"}


def log_in(page, base: str, login: str, password: str) -> None:
    page.goto(base + "/login/")
    form = page.locator("main form")
    form.locator('input[name="username"]').fill(login)
    form.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name="Войти").click()
    if "/login/" in page.url:
        raise SystemExit(f"login as {login!r} failed at {base}")


def switch_on_low_vision(page, base: str, settings: str) -> None:
    """The visitor's way: the switch in the header, the form, «Применить»."""
    font, contrast, images, spacing = settings.split(".")
    page.goto(base + "/")
    page.get_by_test_id("low-vision-switch").click()
    form = page.get_by_test_id("low-vision-form")
    choices = {
        "font": font[1],
        "contrast": CONTRAST[contrast],
        "images": "on" if images == "i1" else "off",
        "spacing": "wide" if spacing == "s1" else "normal",
    }
    for name, value in choices.items():
        form.locator(f'input[name="{name}"][value="{value}"]').check()
    with page.expect_navigation():
        form.get_by_role("button", name="Применить").click()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--login", default="operator", help='"" for an anonymous visitor')
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--low-vision", metavar="SETTINGS", help="e.g. f2.cbw.i0.s0")
    parser.add_argument("--top", action="store_true", help="the top of each page, not all of it")
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
        if args.login:
            log_in(page, base, args.login, args.password)
        if args.low_vision:
            switch_on_low_vision(page, base, args.low_vision)
        for name, path in shots:
            for width in WIDTHS:
                height = 900 if width > 500 else 844
                page.set_viewport_size({"width": width, "height": height})
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                classes = page.evaluate("document.documentElement.className")
                if args.low_vision and "lv" not in classes.split():
                    raise SystemExit(f"the low-vision mode is not on at {page.url}: {classes!r}")
                target = out / f"{name}-{width}.png"
                clip = None
                if args.top:
                    screens = 1.5 if width > 500 else 2
                    clip = {"x": 0, "y": 0, "width": width, "height": int(height * screens)}
                page.screenshot(path=str(target), full_page=True, clip=clip)
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
