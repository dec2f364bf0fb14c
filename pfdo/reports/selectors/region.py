"""The regional view: every municipality of a region side by side — certificates, coverage
against 25 %, contracts, money and the forecast — and the share of municipalities that run
certificates against the regional target of 50 %. A fixed number of grouped queries, whatever
the number of municipalities."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count

from pfdo.certificates.models import Certificate
from pfdo.enrolment.models import Contract
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import selectors as ledger
from pfdo.reports.selectors import coverage
from pfdo.reports.selectors.money import STATUS_LABELS, Forecast, forecast
from pfdo.reports.tables import Chart, Column, Table, percent
from pfdo.territory.models import Municipality

COVERAGE_TARGET = Decimal(25)
# The federal target model: certificates run in at least half of a region's municipalities.
RUNNING_TARGET = Decimal(50)


@dataclass(frozen=True)
class MunicipalityFigures:
    municipality: Municipality
    period: FinancingPeriod | None
    certificates: int
    coverage: coverage.CoverageSummary | None
    contracts: int
    money: ledger.MoneyFlows | None
    forecast: Forecast | None

    @property
    def runs_certificates(self) -> bool:
        """An approved period running today and at least one live certificate."""
        return self.period is not None and self.certificates > 0


def current_periods(municipality_ids, on: dt.date) -> dict[int, FinancingPeriod]:
    """municipality id → its approved period covering `on` (the latest started, if several)."""
    periods = (
        FinancingPeriod.objects.filter(
            municipality_id__in=municipality_ids, status=FinancingPeriod.Status.APPROVED
        )
        .covering(on)
        .order_by("municipality_id", "starts_on")
    )
    return {period.municipality_id: period for period in periods}


def figures(region, on: dt.date) -> list[MunicipalityFigures]:
    """The figures of every active municipality of `region`, in the order of their numbers."""
    municipalities = list(
        Municipality.objects.filter(region=region, is_active=True).order_by("number", "name")
    )
    ids = [m.pk for m in municipalities]
    periods = current_periods(ids, on)
    certificates = dict(
        Certificate.objects.filter(municipality_id__in=ids, status__in=Certificate.LIVE)
        .order_by()
        .values("municipality_id")
        .annotate(n=Count("pk"))
        .values_list("municipality_id", "n")
    )
    contracts = dict(
        Contract.objects.filter(municipality_id__in=ids, status=Contract.Status.ACTIVE)
        .order_by()
        .values("municipality_id")
        .annotate(n=Count("pk"))
        .values_list("municipality_id", "n")
    )
    covered = coverage.summaries([(m, periods.get(m.pk)) for m in municipalities], on)
    by_month = ledger.money_flows_by_month([p.pk for p in periods.values()])
    per_period: dict[int, dict[dt.date, ledger.MoneyFlows]] = {}
    for (period_id, month), flows in by_month.items():
        per_period.setdefault(period_id, {})[month] = flows
    result = []
    for m in municipalities:
        period = periods.get(m.pk)
        money = outlook = None
        if period is not None:
            months = per_period.get(period.pk, {})
            money = sum(months.values(), start=ledger.MoneyFlows())
            outlook = forecast(
                budget_kopecks=money.funded_kopecks,
                by_month=months,
                starts_on=period.starts_on,
                ends_on=period.ends_on,
                on=on,
            )
        result.append(
            MunicipalityFigures(
                municipality=m,
                period=period,
                certificates=certificates.get(m.pk, 0),
                coverage=covered.get(m.pk),
                contracts=contracts.get(m.pk, 0),
                money=money,
                forecast=outlook,
            )
        )
    return result


def _forecast_text(outlook: Forecast | None) -> str:
    if outlook is None:
        return "нет периода"
    if outlook.status == "runs_out":
        return f"закончится ≈ {outlook.runs_out_on:%d.%m.%Y}"
    return STATUS_LABELS[outlook.status]


def municipalities_table(rows: list[MunicipalityFigures], on: dt.date) -> Table:
    table_rows = []
    for f in rows:
        c, money = f.coverage, f.money
        table_rows.append(
            {
                "municipality": f.municipality.name,
                "code": f.municipality.code,
                "period": f.period.name if f.period else None,
                "certificates": f.certificates,
                "holders_share": c.holders_share if c else None,
                "users_share": c.users_share if c else None,
                "contracts": f.contracts,
                "budget": money.funded_kopecks if money else None,
                "committed": money.committed_kopecks if money else None,
                "charged": money.charged_kopecks if money else None,
                "paid": money.paid_kopecks if money else None,
                "forecast": _forecast_text(f.forecast),
                "runs_out_on": f.forecast.runs_out_on if f.forecast else None,
                "runs": "да" if f.runs_certificates else "нет",
            }
        )
    return Table(
        key="region_municipalities",
        title="Муниципалитеты региона",
        columns=[
            Column("municipality", "Муниципалитет"),
            Column("period", "Период"),
            Column("certificates", "Сертификатов (действуют)", "int"),
            Column("holders_share", "Охват сертификатами", "percent"),
            Column("users_share", "Воспользовались", "percent"),
            Column("contracts", "Договоров (действуют)", "int"),
            Column("budget", "Бюджет", "money"),
            Column("committed", "Обязательства", "money"),
            Column("charged", "Списано", "money"),
            Column("paid", "Оплачено", "money"),
            Column("forecast", "Прогноз бюджета"),
            Column("runs_out_on", "Бюджет закончится", "date"),
            Column("runs", "Сертификаты работают"),
        ],
        rows=table_rows,
        chart=Chart(
            "hbar",
            "municipality",
            ("holders_share",),
            target=COVERAGE_TARGET,
            target_label="цель 25 %",
        ),
        note=(
            f"На {on:%d.%m.%Y}. Охват — дети 5–18 лет с действующим сертификатом от детского "
            "населения муниципалитета (цель — не меньше 25 %; «—» — население не внесено); "
            "«воспользовались» — из них с договором в периоде. Деньги — текущего периода "
            "муниципалитета; обязательства — резервы и списания. Прогноз — при нынешнем темпе "
            "резервирования (как на панели муниципалитета)."
        ),
    )


def running_table(rows: list[MunicipalityFigures]) -> Table:
    running = sum(1 for f in rows if f.runs_certificates)
    share = percent(running, len(rows))
    return Table(
        key="region_running",
        title="Доля муниципалитетов, где работают сертификаты",
        columns=[
            Column("label", "Показатель"),
            Column("running", "Работают", "int"),
            Column("total", "Всего муниципалитетов", "int"),
            Column("share", "Доля", "percent"),
            Column("target", "Цель", "percent"),
            Column("met", "Цель достигнута"),
        ],
        rows=[
            {
                "label": "Муниципалитеты с сертификатами",
                "running": running,
                "total": len(rows),
                "share": share,
                "target": RUNNING_TARGET,
                "met": "нет данных"
                if share is None
                else ("да" if share >= RUNNING_TARGET else "нет"),
            }
        ],
        chart=Chart("hbar", "label", ("share",), target=RUNNING_TARGET, target_label="цель 50 %"),
        note=(
            "«Работают» — у муниципалитета утверждённый период, идущий сегодня, и хотя бы один "
            "действующий сертификат. Цель региона — не меньше 50 % муниципалитетов."
        ),
    )


def tables(region, on: dt.date) -> tuple[list[Table], list[MunicipalityFigures]]:
    rows = figures(region, on)
    return [municipalities_table(rows, on), running_table(rows)], rows
