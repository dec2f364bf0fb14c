"""Person names (children, parents, staff, every user): letters, spaces, hyphens, apostrophes.

One rule for every way a name arrives (forms, API serializers, the CSV/XLSX import, the
services behind them). Names are escaped wherever they are shown, but a name is also copied
into documents, e-mails and spreadsheet exports: `<script>` or `=cmd|' /C calc'!A0` is never a
name, so it is refused at the door. A name starts with a letter, which also keeps a formula
(=, +, -, @) out of the first cell it lands in.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

PERSON_NAME_MESSAGE = (
    "Только буквы (русские или латинские), пробелы, дефисы и апострофы; начинается с буквы."
)
# Hyphens (ASCII and the typographic one) and apostrophes (ASCII, right quote, modifier letter)
# as people type them: Мамин-Сибиряк, О'Коннор, д’Артаньян.
_SEPARATORS = frozenset(" -\u2010'\u2019\u02bc")


def _is_name_letter(char: str) -> bool:
    """A letter of the Cyrillic block (ё, and Komi's і and ӧ) or of the Latin alphabets."""
    if not char.isalpha():
        return False
    code = ord(char)
    return (
        char.isascii()
        or 0x0400 <= code <= 0x04FF  # Cyrillic
        or 0x00C0 <= code <= 0x024F  # Latin-1 letters and Latin Extended-A/B (é, ü, ł)
    )


def person_name_error(value: str) -> str | None:
    """The Russian message for a bad person name, None for a good (or empty) one.

    Emptiness is the caller's question: a patronymic may be empty, a first name may not.
    """
    if not value:
        return None
    if not _is_name_letter(value[0]):
        return PERSON_NAME_MESSAGE
    if all(_is_name_letter(c) or c in _SEPARATORS for c in value):
        return None
    return PERSON_NAME_MESSAGE


def validate_person_name(value: str) -> None:
    """Django validator (forms, DRF serializers) around `person_name_error`."""
    message = person_name_error(value or "")
    if message:
        raise ValidationError(message, code="person_name")
