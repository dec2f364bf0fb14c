"""The money split of a contract: pure arithmetic, the one statement of domain.md §4.

`certificate = min(price, normative cost, available)`, `co-payment = price − certificate`,
each spread over the months with the remainder on the last month. Services (a new offer, a
contract continued into the next period) and the demo's bulk generator all call this.
"""

from __future__ import annotations

from dataclasses import dataclass

from pfdo.common.money import split_kopecks


def prorate(amount_kopecks: int | None, months: int, whole_months: int) -> int:
    """The part of a whole-group amount for `months` of its `whole_months` (rounded down)."""
    if whole_months <= 0:
        return 0
    return (amount_kopecks or 0) * months // whole_months


@dataclass(frozen=True)
class Split:
    price_kopecks: int
    normative_kopecks: int
    certificate_kopecks: int
    copay_kopecks: int
    certificate_months: tuple[int, ...]
    copay_months: tuple[int, ...]


def split_contract(
    *, price_kopecks: int, normative_kopecks: int, available_kopecks: int, months: int
) -> Split:
    part = max(min(price_kopecks, normative_kopecks, available_kopecks), 0)
    copay = price_kopecks - part
    return Split(
        price_kopecks=price_kopecks,
        normative_kopecks=normative_kopecks,
        certificate_kopecks=part,
        copay_kopecks=copay,
        certificate_months=tuple(split_kopecks(part, months)),
        copay_months=tuple(split_kopecks(copay, months)),
    )


def budget_split(months: int) -> Split:
    """A budget-funded programme: nothing from the certificate, nothing from the family."""
    return split_contract(price_kopecks=0, normative_kopecks=0, available_kopecks=0, months=months)
