"""Checks of a child's identifiers: СНИЛС with its check digits, document numbers; the surname
key of the provider's look-up."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from pfdo.common.validators import WHITESPACE

_BIRTH_CERTIFICATE = re.compile(r"^([IVXLC1]{1,6})-?([А-ЯЁ]{2})\s*№?\s*(\d{6})$")
_PASSPORT = re.compile(r"^(\d{2})\s?(\d{2})\s*№?\s*(\d{6})$")


def normalize_snils(raw: str) -> str:
    """The 11 digits of a СНИЛС typed as `123-456-789 01`, `12345678901` and the like."""
    return re.sub(r"[\s\-]", "", raw or "")


def snils_error(raw: str) -> str | None:
    """A Russian message if `raw` is not a valid СНИЛС, else None."""
    digits = normalize_snils(raw)
    if not digits:
        return "Укажите СНИЛС."
    if not digits.isdigit() or len(digits) != 11:
        return "СНИЛС состоит из 11 цифр, например 112-233-445 95."
    body, check = digits[:9], int(digits[9:])
    # Numbers up to 001-001-998 were issued before check digits existed.
    if int(body) <= 1_001_998:
        return None
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    expected = total % 101 if total > 101 else total
    if expected == 100 or expected == 101:
        expected = 0
    if expected != check:
        return "Неверный СНИЛС: контрольное число не сходится. Проверьте цифры."
    return None


def snils_check_digits(body: str) -> str:
    """The two check digits of a 9-digit СНИЛС body (used by the demo and tests)."""
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    expected = total % 101 if total > 101 else total
    return f"{0 if expected >= 100 else expected:02d}"


def normalize_document(document_type: str, raw: str) -> tuple[str, str | None]:
    """(canonical number, error message or None) for a birth certificate or a passport."""
    text = " ".join((raw or "").upper().replace("Ё", "Е").split())
    if not text:
        return "", "Укажите серию и номер документа."
    if document_type == "passport":
        m = _PASSPORT.match(text)
        if not m:
            return text, "Паспорт: 4 цифры серии и 6 цифр номера, например 8712 345678."
        return f"{m[1]}{m[2]} {m[3]}", None
    m = _BIRTH_CERTIFICATE.match(text.replace("1-", "I-"))
    if not m:
        return text, (
            "Свидетельство о рождении: римские цифры, две русские буквы и 6 цифр, "
            "например II-ЕА 123456."
        )
    return f"{m[1].replace('1', 'I')}-{m[2]} {m[3]}", None


def _hash_key() -> bytes:
    # Its own setting, never SECRET_KEY: a rotated secret key would otherwise hide every
    # stored child from the duplicate search (config/settings.py, `rekey_pd_hashes`).
    key = settings.PFDO_PD_HASH_KEY
    if not key:
        raise ImproperlyConfigured("PFDO_PD_HASH_KEY is not set")
    return key.encode()


def pd_hash(kind: str, value: str) -> str:
    """Keyed hash of an identifier: equal numbers match, the number is not recoverable."""
    return hmac.new(_hash_key(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


# A certificate number as typed (selectors.certificate_digits): 10 digits with spaces or hyphens
# between or around them, whitespace at the ends trimmed. The API states it as this pattern.
_NUMBER_AS_SENT = rf"[{WHITESPACE}]*[ \-]*([0-9][ \-]*){{10}}[{WHITESPACE}]*"
CERTIFICATE_NUMBER_PATTERN = rf"^{_NUMBER_AS_SENT}$"
# A certificate by its number or by its id, as the two operations that take one state it. They
# differ on purpose and each server check is its schema's pattern, so do not swap them:
# - an application's body (`certificate`, a JSON string): the number as typed or an id of up to
#   18 digits, leading zeros and whitespace at the ends allowed (the value is trimmed);
CERTIFICATE_REFERENCE_BODY_PATTERN = (
    rf"^({_NUMBER_AS_SENT}|[{WHITESPACE}]*0*[1-9][0-9]{{0,17}}[{WHITESPACE}]*)$"
)
# - the terms look-up's query (`applications/terms?certificate=`): an id without leading zeros,
#   or 10 digits with only spaces and hyphens between or around them; nothing else at the ends.
CERTIFICATE_REFERENCE_QUERY_PATTERN = r"^([1-9][0-9]{0,17}|[ -]*([0-9][ -]*){10})$"

# Hyphens and dashes people type between the parts of a double surname.
_SURNAME_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


def surname_key(raw: str) -> str:
    """A surname as the look-up compares it: case, ё/е, surrounding spaces and the separator
    of a double surname ignored — «Петрова-Водкина», «петрова водкина» and «ПЕТРОВА - ВОДКИНА»
    are one key. Both parts of a double surname are needed (one part alone is another key)."""
    text = unicodedata.normalize("NFKC", raw or "").casefold().replace("ё", "е")
    text = text.translate(_APOSTROPHES)
    return "-".join(part for part in _SURNAME_SEPARATORS.split(text) if part)


# Text whose surname_key is not empty (and holds no NUL): something besides whitespace and the
# characters that become a separator once normalised (NFKC) — what a check by name needs.
_KEY_SEPARATORS = r"\-\u2010-\u2015\u207b\u208b\u2212\ufe31\ufe32\ufe58\ufe63\uff0d"
NAME_KEY_PATTERN = rf"^[^\u0000]*[^\u0000{WHITESPACE}{_KEY_SEPARATORS}][^\u0000]*$"


def document_suffix(number: str) -> str:
    """The last 4 digits of a document number as stored (`II-ЕА 123456` → `3456`)."""
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""


def enrolment_check_hash(last_name: str, first_name: str, suffix: str) -> str:
    """Keyed hash of what the public enrolment check asks: the surname and the first name as
    the look-up compares them (case, ё/е, double-surname separators ignored) and the last 4
    digits of the child's document. The check finds a child by it without the document
    number or the name ever being compared or logged in clear."""
    return pd_hash(
        "enrolment_check", f"{surname_key(last_name)}|{surname_key(first_name)}|{suffix}"
    )


def child_check_hash(child) -> str:
    """The enrolment-check hash of a child's card (empty when its document has no 4 digits)."""
    suffix = document_suffix(child.document_number)
    if not suffix:
        return ""
    return enrolment_check_hash(child.last_name, child.first_name, suffix)
