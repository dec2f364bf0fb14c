"""Money in integer kopecks: formatting and deterministic splitting."""

from __future__ import annotations

NBSP = "\u00a0"


def format_kopecks(kopecks: int, *, currency: bool = True) -> str:
    """Format kopecks the Russian way: 123456 → '1 234,56 ₽' (narrow no-break spaces)."""
    if isinstance(kopecks, bool) or not isinstance(kopecks, int):
        raise TypeError(f"money must be integer kopecks, got {type(kopecks).__name__}")
    sign = "−" if kopecks < 0 else ""
    rubles, kop = divmod(abs(kopecks), 100)
    groups = f"{rubles:,}".replace(",", NBSP)
    text = f"{sign}{groups},{kop:02d}"
    return f"{text}{NBSP}₽" if currency else text


def split_kopecks(total: int, parts: int) -> list[int]:
    """Split `total` into `parts` equal shares; the remainder goes to the last share."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError("money must be integer kopecks")
    share = total // parts
    shares = [share] * parts
    shares[-1] += total - share * parts
    return shares
