"""Plain text an editor typed, served as the HTML the original's `text`/`body` fields carry.

Every character is escaped (Django's `linebreaks` with autoescape), a blank line starts a new
<p> and a single line break becomes <br>: a portal can put the result into its page and nothing
an editor typed runs in a reader's browser.
"""

from __future__ import annotations

from django.utils.html import linebreaks


def paragraphs(text: str | None) -> str:
    """Escaped HTML paragraphs of `text`; "" when there is no text (not an empty <p>)."""
    text = (text or "").strip()
    if not text:
        return ""
    return linebreaks(text, autoescape=True)


def or_none(value: str | None) -> str | None:
    """A blank text field as the original's null."""
    if value is None:
        return None
    value = value.strip()
    return value or None
