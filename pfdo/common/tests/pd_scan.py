"""The test run's watch for a child's identifiers where they must not be: СНИЛС and document
numbers in any answer served to someone other than an operator, and in any log line.

Wired in config/settings_test.py (the outermost middleware and a handler on the root logger)
and in conftest.py (each test's setup, call and teardown fail on what they produced), so it
covers the test client, the API client and the browser journeys' live server alike.

What is looked for, from how the project writes them (certificates/validators.py):
- СНИЛС as shown and typed, `123-456-789 01` (or `-01`): always; 11 digits in a row or
  grouped 3-3-3-2 by spaces: when the check digits are right and the run stands alone — not
  after a `+` (phones), not part of a decimal, a word or a longer number, and not a bare JSON
  number (money in kopecks; a СНИЛС is a string there). Dates, money as pages write it and
  10-digit certificate numbers never take this shape. Numbers up to 001-001-998 had no
  check digits and cannot be told from other numbers.
- a birth certificate `II-ЕА 123456` (Roman numerals, two Russian letters, six digits) and a
  passport `8712 345678` (four and six digits, apart; a certificate number is shown 2-2-6).

What is allowed: the answers to an operator, a regional administrator or a superuser (the
officials who hold the card); an identifier the same request carried (the form that shows a
family what it typed, the 404 of a path a client made up); the examples the forms print
(`EXAMPLES`). A log line is never allowed one, except Django's request log naming the path
the client asked for.
"""

from __future__ import annotations

import functools
import html
import io
import logging
import re
import threading
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote_plus

OFFICIAL_ROLES = frozenset({"operator", "regional_admin"})

# Printed by the forms' help and error texts (validators.py, forms, serializers): public.
EXAMPLES = frozenset({"11223344595", "II-ЕА 123456", "8712 345678"})

_SPACE = "[ \u00a0\u202f]"
# Not glued to a word, a `+` (phones), or the digits of a decimal.
_BEFORE = r"(?<![\w+])(?<!\d[.,])"
_AFTER = r"(?!\w)(?![.,]\d)"

SNILS_FORMATTED = re.compile(
    _BEFORE + rf"(\d{{3}})-(\d{{3}})-(\d{{3}})(?:-|{_SPACE})(\d{{2}})" + _AFTER
)
SNILS_DIGITS = re.compile(_BEFORE + r"(\d{11})" + _AFTER)
SNILS_SPACED = re.compile(
    _BEFORE + rf"(\d{{3}}){_SPACE}(\d{{3}}){_SPACE}(\d{{3}}){_SPACE}(\d{{2}})" + _AFTER
)
BIRTH_CERTIFICATE = re.compile(
    r"(?<![\w-])([IVXLC]{1,6})-?([А-ЯЁ]{2})" + rf"{_SPACE}?(?:№{_SPACE}?)?(\d{{6}})" + _AFTER
)
# As stored (`8712 345678`); a certificate number is shown `11 02 000001`, never so.
PASSPORT = re.compile(_BEFORE + rf"(\d{{4}}){_SPACE}(?:№{_SPACE}?)?(\d{{6}})" + _AFTER)

# Lenient forms of the same, read from a request (what a person may type) to allow echoes.
_TYPED_DIGITS = re.compile(r"\d[\d \u00a0\-]{9,20}\d")  # within one line: one field
_TYPED_BIRTH_CERTIFICATE = re.compile(r"([IVXLC1]{1,6}) *-? *([А-ЯЁ]{2}) *№? *(\d{6})", re.I)
_TYPED_PASSPORT = re.compile(r"(\d{2}) ?(\d{2}) *№? *(\d{6})")

_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_TAG = re.compile(r"<[^>]*>")
TEXT_TYPES = ("text/html", "text/plain", "text/csv", "text/xml", "application/xml")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def snils_checks(digits: str) -> bool:
    """The 11 digits carry right check digits, and the body is one issued with them."""
    body, check = digits[:9], int(digits[9:])
    if int(body) <= 1_001_998:
        return False
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    expected = total % 101 if total > 101 else total
    return (0 if expected >= 100 else expected) == check


@dataclass(frozen=True)
class Match:
    kind: str  # what was found, for the failure message
    value: str  # normalised: 11 digits, or the document as the project stores it
    excerpt: str


def _bare_json_number(text: str, start: int, end: int) -> bool:
    before = text[:start].rstrip()[-1:]
    after = text[end:].lstrip()[:1]
    return before in (":", ",", "[") and after in (",", "]", "}", "")


# Every pattern holds six digits in a row or two groups of three apart: a search that
# cheap (digits made zeros, then substrings) spares the patterns most answers.
_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_NEEDLES = (b"000000", *(f"000{sep}000".encode() for sep in ("-", " ", "\u00a0", "\u202f")))


def may_hold(text: str) -> bool:
    probe = text.encode("utf-8", "replace").translate(_ZEROS)
    return any(needle in probe for needle in _NEEDLES)


def find(text: str, *, json: bool = False) -> list[Match]:
    """Every identifier in `text`, public examples left out."""
    if len(text) >= _LARGE:
        return list(_find_in_large(text, json))
    return _find(text, json=json)


# A large answer served again unchanged (the 3 MB API schema, asked for by a test of each app)
# is scanned once: the patterns over it took most of a second each time.
_LARGE = 100_000


@functools.lru_cache(maxsize=4)
def _find_in_large(text: str, json: bool) -> tuple[Match, ...]:
    return tuple(_find(text, json=json))


def _find(text: str, *, json: bool = False) -> list[Match]:
    found = []
    if not may_hold(text):
        return found

    def add(kind, value, m):
        if value not in EXAMPLES:
            excerpt = text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
            found.append(Match(kind, value, excerpt))

    for m in SNILS_FORMATTED.finditer(text):
        add("СНИЛС (123-456-789 01)", "".join(m.groups()), m)
    for m in SNILS_SPACED.finditer(text):
        digits = "".join(m.groups())
        if snils_checks(digits):
            add("СНИЛС (11 digits grouped, check digits right)", digits, m)
    for m in SNILS_DIGITS.finditer(text):
        if json and _bare_json_number(text, m.start(), m.end()):
            continue
        if snils_checks(m[1]):
            add("СНИЛС (11 digits, check digits right)", m[1], m)
    for m in BIRTH_CERTIFICATE.finditer(text):
        add("birth certificate number (II-ЕА 123456)", f"{m[1]}-{m[2].replace('Ё', 'Е')} {m[3]}", m)
    for m in PASSPORT.finditer(text):
        add("passport number (8712 345678)", f"{m[1]} {m[2]}", m)
    return found


def typed(text: str) -> set[str]:
    """The identifiers a request carried, normalised as `find` normalises them."""
    values = set()
    for m in _TYPED_DIGITS.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) == 11:
            values.add(digits)
    for m in _TYPED_BIRTH_CERTIFICATE.finditer(text):
        roman = m[1].upper().replace("1", "I")
        values.add(f"{roman}-{m[2].upper().replace('Ё', 'Е')} {m[3]}")
    for m in _TYPED_PASSPORT.finditer(text):
        values.add(f"{m[1]}{m[2]} {m[3]}")
    return values


# ------------------------------------------------------------------------------ findings

_findings: list[str] = []
_lock = threading.Lock()


def report(message: str) -> None:
    with _lock:
        _findings.append(message)


def take() -> list[str]:
    """What was found since the last call (and forget it)."""
    with _lock:
        found = list(_findings)
        _findings.clear()
    return found


class PersonalDataLeak(AssertionError):
    pass


def raise_if_found(where: str) -> None:
    found = take()
    if found:
        raise PersonalDataLeak(
            f"{len(found)} personal-data leak(s) during {where}:\n" + "\n".join(found)
        )


def _describe(matches: list[Match]) -> str:
    return "; ".join(f"{m.kind} {m.value!r} in …{m.excerpt}…" for m in matches)


# ----------------------------------------------------------------------------- responses


def _unjson(text: str) -> str:
    return _JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text) if "\\u" in text else text


def _xlsx_text(content: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            parts = [
                book.read(name).decode("utf-8", "replace")
                for name in book.namelist()
                if name.startswith("xl/") and name.endswith(".xml")
            ]
    except (zipfile.BadZipFile, KeyError):
        return ""
    return html.unescape(_TAG.sub("\n", "\n".join(parts)))


def _kind(response) -> str | None:
    """How to read the body: 'json', 'text', 'xlsx', or None (not scanned: images, CSS…)."""
    content_type = (response.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type == XLSX:
        return "xlsx"
    if "json" in content_type:
        return "json"
    if content_type in TEXT_TYPES or content_type.startswith("application/vnd.oai.openapi"):
        return "text"
    return None


def body_text(content: bytes, kind: str) -> str:
    if kind == "xlsx":
        return _xlsx_text(content)
    text = content.decode("utf-8", "replace")
    if kind == "json":
        return _unjson(text)
    return html.unescape(text)


def _official(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return bool(set(getattr(user, "roles", ())) & OFFICIAL_ROLES)


def _who(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    roles = ",".join(sorted(getattr(user, "roles", ()))) or "no role"
    return f"{user.get_username()!r} ({roles})"


def _request_text(request, body: bytes) -> str:
    parts = [unquote_plus(request.get_full_path())]
    if body:
        text = body.decode("utf-8", "replace")
        form = request.META.get("CONTENT_TYPE", "").startswith("application/x-www-form")
        parts.append(unquote_plus(text) if form else _unjson(text))
    post = getattr(request, "_post", None)  # parsed by the view (multipart); never parse here
    if post:
        parts += [value for values in post.lists() for value in values[1]]
    return "\n".join(str(part) for part in parts)


class PersonalDataScanMiddleware:
    """Scans every answer to a non-official for СНИЛС and document numbers (tests only)."""

    BODY_LIMIT = 1_000_000

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        body = b""
        meta = request.META
        if not meta.get("CONTENT_TYPE", "").startswith("multipart/"):
            try:
                if int(meta.get("CONTENT_LENGTH") or 0) <= self.BODY_LIMIT:
                    body = request.body  # read now (and kept): the view reads the copy
            except Exception:  # a body Django refuses is the view's to answer
                body = b""
        response = self.get_response(request)
        kind = _kind(response)
        location = response.get("Location", "")
        if kind is None and not location:
            return response
        if getattr(response, "streaming", False):
            if kind is not None and not getattr(response, "is_async", False):
                response.streaming_content = self._scanning(
                    request, body, response, kind, response.streaming_content
                )
            return response
        text = location
        if kind is not None:
            text += "\n" + body_text(response.content, kind)
        self.check(request, body, response, text, json=kind == "json")
        return response

    def _scanning(self, request, body, response, kind, chunks):
        seen = []
        for chunk in chunks:
            seen.append(chunk if isinstance(chunk, bytes) else str(chunk).encode())
            yield chunk
        self.check(request, body, response, body_text(b"".join(seen), kind), json=kind == "json")

    def check(self, request, body, response, text, *, json=False):
        matches = find(text, json=json)
        if not matches:
            return
        user = getattr(request, "user", None)
        if _official(user):
            return
        echoed = typed(_request_text(request, body))
        leaks = [m for m in matches if m.value not in echoed]
        if leaks:
            report(
                f"{request.method} {request.path} → {response.status_code} to {_who(user)}: "
                + _describe(leaks)
            )


# ------------------------------------------------------------------------------ log lines


class PersonalDataLogHandler(logging.Handler):
    """Records every log line that carries a СНИЛС or a document number (tests only)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += "\n" + repr(record.exc_info[1])
            matches = find(text)
            if not matches:
                return
            request = getattr(record, "request", None)
            if request is not None and hasattr(request, "get_full_path"):
                # Django's request log names the path the client asked for.
                echoed = typed(unquote_plus(request.get_full_path()))
                matches = [m for m in matches if m.value not in echoed]
            if matches:
                report(f"log {record.name} {record.levelname}: " + _describe(matches))
        except Exception:  # a handler must never break the code that logs
            self.handleError(record)
