"""Made-up registration numbers that pass the providers app's own check-digit rules.

The check digits are found by asking the validators (pfdo/providers/validators.py), so the
demo never states the ИНН, ОГРН or account-key arithmetic a second time.
"""

from __future__ import annotations

from collections.abc import Callable

from pfdo.providers.validators import account_is_valid, inn_is_valid, ogrn_is_valid

DIGITS = "0123456789"


def _complete(body: str, is_valid: Callable[[str], bool], places: int = 1) -> str:
    """`body` followed by the `places` check digits that make it valid."""
    candidates = [""]
    for _ in range(places):
        candidates = [c + d for c in candidates for d in DIGITS]
    for tail in candidates:
        if is_valid(body + tail):
            return body + tail
    raise ValueError(f"no check digits make {body!r} valid")


def inn_of(body: str) -> str:
    """An ИНН from its body: 9 digits (organisation) or 10 (individual entrepreneur)."""
    return _complete(body, inn_is_valid, places=1 if len(body) == 9 else 2)


def ogrn_of(body: str) -> str:
    """An ОГРН (12-digit body) or ОГРНИП (14-digit body) with its check digit."""
    return _complete(body, ogrn_is_valid)


def account_of(prefix: str, tail: str, *, bik: str) -> str:
    """A settlement account `prefix` + key digit + `tail` whose key agrees with the БИК."""
    for key in DIGITS:
        account = f"{prefix}{key}{tail}"
        if account_is_valid(account, bik):
            return account
    raise ValueError("no key digit fits this account")


def inn10(n: int) -> str:
    """A valid organisation ИНН (Komi: starts with 11), distinct for n < 10⁷."""
    return inn_of(f"11{n % 10_000_000:07d}")


def inn12(n: int) -> str:
    """A valid ИП ИНН (12 digits, two check digits)."""
    return inn_of(f"11{n % 100_000_000:08d}")


def ogrn13(n: int) -> str:
    return ogrn_of(f"10211{n % 10_000_000:07d}")


def ogrnip15(n: int) -> str:
    return ogrn_of(f"30411{n % 1_000_000_000:09d}")
