"""The dashboard's sections, in the order of its tabs: each a key (its URL and API name), a
title, and the selector function building its tables from `Filters`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pfdo.reports.selectors import certificates, contracts, coverage, money, places, rankings
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
    Section("money", "Деньги", money.tables),
    Section("rankings", "Рейтинги", rankings.tables),
]


# Answered by the API only (GET /api/v1/reports/<key>/), not a tab: the forecast is part of the
# money tab, and integrators asked for it on its own.
API_ONLY: list[Section] = [
    Section("forecast", "Прогноз бюджета", money.forecast_only),
]


def get(key: str) -> Section | None:
    return next((section for section in SECTIONS if section.key == key), None)


def api_sections() -> list[Section]:
    return [*SECTIONS, *API_ONLY]


def get_for_api(key: str) -> Section | None:
    return next((section for section in api_sections() if section.key == key), None)
