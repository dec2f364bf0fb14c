"""The dashboard's sections, in the order of its tabs: each a key (its URL and API name), a
title, and the selector function building its tables from `Filters`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pfdo.reports.selectors import certificates, contracts, coverage, places
from pfdo.reports.selectors.scope import Filters
from pfdo.reports.tables import Table


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    build: Callable[[Filters], list[Table]]


SECTIONS: list[Section] = [
    Section("coverage", "Охват", coverage.tables),
    Section("certificates", "Сертификаты", certificates.tables),
    Section("contracts", "Заявки и договоры", contracts.tables),
    Section("places", "Места и очереди", places.tables),
]


def get(key: str) -> Section | None:
    return next((section for section in SECTIONS if section.key == key), None)
