"""The API's JSON parser: refuses hostile bodies (too deep, too big) as 400, never 500.

Python's json module recurses once per nesting level: a body nested 50,000 deep raised
RecursionError inside DRF's parser and answered 500. The depth is measured first on the bytes
with string literals taken out (C-speed regex and translate, then a walk over the brackets
alone that stops at the first level past the limit), so a hostile body costs almost nothing;
RecursionError is caught as well, should a body slip past the scan.
"""

from __future__ import annotations

import codecs
import json
import re

from django.conf import settings
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings

from pfdo.common.api.errors import MalformedRequest

DEFAULT_MAX_DEPTH = 32
# A JSON string literal (escapes included); what is inside one is never structure.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[^\[\]{}]+")
_OPEN = frozenset("[{")


def max_depth() -> int:
    return getattr(settings, "PFDO_API_MAX_JSON_DEPTH", DEFAULT_MAX_DEPTH)


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether arrays/objects in `text` nest deeper than `limit` (the top level counts as 1)."""
    structure = _BRACKETS.sub("", _STRING.sub("", text))
    if structure.count("[") + structure.count("{") <= limit:
        return False
    depth = 0
    for char in structure:
        if char in _OPEN:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _strict_constant(value):
    raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")


def too_deep_message(limit: int) -> str:
    return f"Слишком глубокая вложенность JSON: допускается не более {limit} уровней."


class JSONParser(BaseParser):
    """DRF's JSONParser with a size cap, a depth cap and no RecursionError."""

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit_bytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit_bytes is None else stream.read(limit_bytes + 1)
        if limit_bytes is not None and len(raw) > limit_bytes:
            raise MalformedRequest(
                f"Тело запроса больше {limit_bytes // 1024} КБ: разделите его на части."
            )
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise MalformedRequest() from exc
        limit = max_depth()
        if nesting_exceeds(text, limit):
            raise MalformedRequest(too_deep_message(limit))
        strict = _strict_constant if api_settings.STRICT_JSON else None
        try:
            return json.loads(text, parse_constant=strict)
        except RecursionError as exc:
            raise MalformedRequest(too_deep_message(limit)) from exc
        except ValueError as exc:
            raise MalformedRequest() from exc
