"""Person names (children, parents, staff, every user): letters, spaces, hyphens, apostrophes.

One rule for every way a name arrives (forms, API serializers, the CSV/XLSX import, the
services behind them). Names are escaped wherever they are shown, but a name is also copied
into documents, e-mails and spreadsheet exports: `<script>` or `=cmd|' /C calc'!A0` is never a
name, so it is refused at the door. A name starts with a letter, which also keeps a formula
(=, +, -, @) out of the first cell it lands in.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

# What a plain text value takes: Django refuses a NUL character in any text (PostgreSQL cannot
# store one), and a value that may not be blank is stripped first, so it needs one character
# that is neither whitespace nor NUL. (ECMA and Python regular expressions both read these.)
# Request bodies (pfdo.common.api.schema) and query filters (pfdo.common.filters) state them.
TEXT_PATTERN = r"^[^\u0000]*$"
NON_BLANK_TEXT_PATTERN = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"

PERSON_NAME_MESSAGE = (
    "Только буквы (русские или латинские), пробелы, дефисы и апострофы; начинается с буквы."
)
# Hyphens (ASCII and the typographic one) and apostrophes (ASCII, right quote, modifier letter)
# as people type them: Мамин-Сибиряк, О'Коннор, д’Артаньян.
_SEPARATORS = frozenset(" -\u2010'\u2019\u02bc")

# The same rule as character classes both Python's and ECMAScript's regular expressions read
# (the API schema states it as a pattern; tests check the pattern against the function).
NAME_LETTERS = r"A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0400-\u0481\u048a-\u04ff"
NAME_SEPARATORS = r"\-\u2010'\u2019\u02bc"
# Whitespace as Python's str.strip() and str.split() see it (str.isspace): what a text field
# trims at its ends and a name field collapses inside. ECMAScript's \s is another set.
WHITESPACE = (
    r"\t\n\u000b\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
# A name as a client sends it: whitespace around it and inside it is tidied before the check.
_NAME_AS_SENT = rf"[{WHITESPACE}]*[{NAME_LETTERS}][{NAME_LETTERS}{NAME_SEPARATORS}{WHITESPACE}]*"
PERSON_NAME_PATTERN = rf"^{_NAME_AS_SENT}$"
# An optional name (a patronymic) may also be blank; "" itself is the schema's other branch.
OPTIONAL_PERSON_NAME_PATTERN = rf"^([{WHITESPACE}]+|{_NAME_AS_SENT})$"


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


class PersonNameValidator(RegexValidator):
    """`validate_person_name` carrying the pattern of the name as sent, for the API schema
    (drf-spectacular states a RegexValidator's pattern). It checks the tidied name."""

    def __init__(self, *, blank: bool = False) -> None:
        pattern = OPTIONAL_PERSON_NAME_PATTERN if blank else PERSON_NAME_PATTERN
        super().__init__(regex=pattern, message=PERSON_NAME_MESSAGE, code="person_name")

    def __call__(self, value) -> None:
        validate_person_name(value)
