"""Screenshots of the version for the visually impaired, for docs/screenshots/.

    python scripts/screenshots_low_vision.py [--base-url http://127.0.0.1:8000]
        [--settings f2.cbw.i0.s0] [--shot low-vision=/] [--out docs/screenshots]

Switches the mode on the way a visitor does (the «Версия для слабовидящих» link, then the
settings form: by default text 150 %, black on white, images off), then shoots each page at
1280 and 390 px wide (`<name>-1280.png`, `<name>-390.png`; the top of the page, 1.5 screens
tall at 1280 px and 2 at 390 px, so the large text stays readable in the docs) with Debian's Chromium
(/usr/bin/chromium; never a downloaded browser). Fails if a page scrolls sideways at 390 px.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
WIDTHS = (1280, 390)
CONTRAST = {"c0": "normal", "cbw": "bw", "cwb": "wb"}


def switch_on(page, base: str, settings: str) -> None:
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
    parser.add_argument(
        "--settings", default="f2.cbw.i0.s0", help="as the cookie: f0-3.c0|cbw|cwb.i0|1.s0|1"
    )
    parser.add_argument(
        "--shot",
        action="append",
        metavar="NAME=PATH",
        help="a page to shoot (repeatable); default low-vision=/catalog/",
    )
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args(argv)
    shots = [s.split("=", 1) for s in (args.shot or ["low-vision=/catalog/"])]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = args.base_url.rstrip("/")
    failures = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, locale="ru-RU")
        page = context.new_page()
        switch_on(page, base, args.settings)
        for name, path in shots:
            for width in WIDTHS:
                height = 900 if width > 500 else 844
                page.set_viewport_size({"width": width, "height": height})
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                classes = page.evaluate("document.documentElement.className")
                if "lv" not in classes.split():
                    raise SystemExit(f"the low-vision mode is not on at {page.url}: {classes!r}")
                target = out / f"{name}-{width}.png"
                clip = {
                    "x": 0,
                    "y": 0,
                    "width": width,
                    "height": int(height * (1.5 if width > 500 else 2)),
                }
                page.screenshot(path=str(target), full_page=True, clip=clip)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                print(f"{target}  ({page.url}, {classes}, sideways overflow {overflow} px)")
                if width < 500 and overflow > 0:
                    failures.append(f"{name} scrolls sideways by {overflow} px at {width} px")
        browser.close()
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
