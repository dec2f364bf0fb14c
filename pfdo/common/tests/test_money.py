"""Money formatting and splitting: integer kopecks only, remainder to the last share."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pfdo.common.money import NBSP, format_kopecks, split_kopecks


@pytest.mark.parametrize(
    ("kopecks", "text"),
    [
        (0, f"0,00{NBSP}₽"),
        (5, f"0,05{NBSP}₽"),
        (123456, f"1{NBSP}234,56{NBSP}₽"),
        (2417100, f"24{NBSP}171,00{NBSP}₽"),
        (-150, f"−1,50{NBSP}₽"),
        (100000000, f"1{NBSP}000{NBSP}000,00{NBSP}₽"),
    ],
)
def test_format_kopecks(kopecks, text):
    assert format_kopecks(kopecks) == text


def test_format_without_currency():
    assert format_kopecks(360000, currency=False) == f"3{NBSP}600,00"


@pytest.mark.parametrize("bad", [1.5, "100", None, True])
def test_format_refuses_non_integer_money(bad):
    with pytest.raises(TypeError):
        format_kopecks(bad)


def test_split_puts_remainder_in_last_share():
    assert split_kopecks(1000, 3) == [333, 333, 334]


@given(total=st.integers(min_value=0, max_value=10**12), parts=st.integers(1, 24))
def test_split_is_exact_and_fair(total, parts):
    shares = split_kopecks(total, parts)
    assert sum(shares) == total
    assert len(shares) == parts
    assert len(set(shares[:-1])) <= 1
    assert 0 <= shares[-1] - shares[0] < parts


def test_split_refuses_zero_parts_and_floats():
    with pytest.raises(ValueError):
        split_kopecks(100, 0)
    with pytest.raises(TypeError):
        split_kopecks(100.0, 2)
