"""The version for the visually impaired: settings kept in a cookie, shown as classes on <html>.

The whole mode is CSS (static/css/low-vision.css) keyed on the classes this module names:
`lv` (any setting on) plus `lv-font-1|2|3`, `lv-contrast-bw|wb`, `lv-images-off`,
`lv-spacing-wide`. The templates never branch on the settings otherwise, so toggling the
classes in a browser gives exactly the low-vision page.

The cookie holds a short value such as `f2.cbw.i0.s1` (text size step 0–3, colours
0|bw|wb, images 1|0, spacing 0|1), parsed strictly: any token it does not know, or a key
given twice, means the defaults (the normal version) — never an error. A missing key keeps
its default.
"""

from __future__ import annotations

from dataclasses import dataclass

COOKIE_NAME = "pfdo_lv"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
# Longer than any value this module writes ("f3.cwb.i0.s1" is 12): anything longer is garbage.
_MAX_VALUE_LENGTH = 32

FONT_STEPS = (0, 1, 2, 3)
FONT_PERCENT = {0: 100, 1: 120, 2: 150, 3: 200}
CONTRASTS = ("normal", "bw", "wb")
_CONTRAST_TOKENS = {"c0": "normal", "cbw": "bw", "cwb": "wb"}
_CONTRAST_CODES = {value: key for key, value in _CONTRAST_TOKENS.items()}


@dataclass(frozen=True)
class LowVision:
    font: int = 0
    contrast: str = "normal"
    images: bool = True
    wide_spacing: bool = False

    @property
    def is_on(self) -> bool:
        return self != LowVision()

    def css_classes(self) -> str:
        """The classes of <html>: "" in the normal version."""
        if not self.is_on:
            return ""
        classes = ["lv"]
        if self.font:
            classes.append(f"lv-font-{self.font}")
        if self.contrast != "normal":
            classes.append(f"lv-contrast-{self.contrast}")
        if not self.images:
            classes.append("lv-images-off")
        if self.wide_spacing:
            classes.append("lv-spacing-wide")
        return " ".join(classes)

    def cookie_value(self) -> str:
        return ".".join(
            (
                f"f{self.font}",
                _CONTRAST_CODES[self.contrast],
                "i1" if self.images else "i0",
                "s1" if self.wide_spacing else "s0",
            )
        )


NORMAL = LowVision()
# What the settings page proposes to someone switching the mode on for the first time.
STARTER = LowVision(font=1, contrast="bw")


def parse(value: str | None) -> LowVision:
    """The settings in a cookie value; the normal version for anything it cannot read."""
    if not value or len(value) > _MAX_VALUE_LENGTH:
        return NORMAL
    found: dict[str, object] = {}
    for token in value.split("."):
        key, setting = _read_token(token)
        if key is None or key in found:
            return NORMAL
        found[key] = setting
    return LowVision(**found)


def _read_token(token: str) -> tuple[str | None, object]:
    if token in _CONTRAST_TOKENS:
        return "contrast", _CONTRAST_TOKENS[token]
    if len(token) != 2:
        return None, None
    key, digit = token[0], token[1]
    if key == "f" and digit in "0123":
        return "font", int(digit)
    if key == "i" and digit in "01":
        return "images", digit == "1"
    if key == "s" and digit in "01":
        return "wide_spacing", digit == "1"
    return None, None


def from_request(request) -> LowVision:
    return parse(request.COOKIES.get(COOKIE_NAME))


def remember(response, request, settings: LowVision) -> None:
    """Write the settings into the response's cookie (the normal version deletes it)."""
    if not settings.is_on:
        response.delete_cookie(COOKIE_NAME, samesite="Lax")
        return
    # It holds no secret, but no script needs to read it either: HttpOnly.
    response.set_cookie(
        COOKIE_NAME,
        settings.cookie_value(),
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )


def template_context(request) -> dict:
    settings = from_request(request) if request is not None else NORMAL
    return {"low_vision": settings, "low_vision_classes": settings.css_classes()}
