"""Raw-bytes search for a child's identifiers in responses (access-matrix tests).

A response must not contain the СНИЛС, the document number or the birth date in any of the
ways they get written: with or without separators, as a date in ISO, Russian numeric or
words, and escaped as JSON with ensure_ascii writes it.
"""

from __future__ import annotations

import datetime as dt

_GENITIVE = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]


def identifier_forms(
    *, snils: str, document: str, document_number: str, birth_date: dt.date | None = None
) -> list[bytes]:
    digits = snils.replace("-", "").replace(" ", "")
    forms = {
        digits,
        snils,  # as typed: 123-456-789 01
        f"{digits[:3]}-{digits[3:6]}-{digits[6:9]}-{digits[9:]}",
        f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}",
        document,
        document.split()[-1],  # the document's digits alone
        document_number,
    }
    if birth_date is not None:
        month = _GENITIVE[birth_date.month - 1]
        forms |= {
            birth_date.isoformat(),
            birth_date.strftime("%d.%m.%Y"),
            f"{birth_date.day} {month} {birth_date.year}",
            f"{birth_date.day:02d} {month} {birth_date.year}",
        }
    out = set()
    for text in forms:
        out.add(text.encode())
        out.add("".join(f"\\u{ord(c):04x}" if ord(c) > 127 else c for c in text).encode())
    return sorted(out)


def leaks(content: bytes, secrets: list[bytes]) -> list[bytes]:
    return [s for s in secrets if s in content]
