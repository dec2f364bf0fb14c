"""Plain texts editors type, shown as HTML: always escaped, blank lines → paragraphs."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()

_BLANK_LINES = re.compile(r"\n\s*\n")


@register.filter(is_safe=False)
def paragraphs(text) -> SafeString:
    """{{ news.body|paragraphs }}: each block between blank lines a <p>, a single line break
    a <br>. The text is escaped whatever it is (even a string marked safe): an editor's text
    never becomes markup."""
    text = str(text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    blocks = [block.strip() for block in _BLANK_LINES.split(text) if block.strip()]
    # format_html_join escapes every line (str(), so a string marked safe is escaped too).
    return format_html_join(
        "\n",
        "<p>{}</p>",
        (
            (
                format_html_join(
                    SafeString("<br>"), "{}", ((str(line),) for line in block.split("\n"))
                ),
            )
            for block in blocks
        ),
    )
