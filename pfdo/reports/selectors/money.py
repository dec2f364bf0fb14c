"""Money of a municipality's financing period, read through the ledger: budget, granted,
reserved, charged, paid, lapsed — for the period and month by month — and the forecast of
whether the budget lasts to the period's end at the current pace of reservations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pfdo.common import clock
from pfdo.common.money import format_kopecks
from pfdo.common.months import add_months, iter_months, month_end, month_label, month_start
from pfdo.enrolment.models import Contract
from pfdo.ledger import selectors as ledger
from pfdo.reports.selectors.scope import Filters
from pfdo.reports.tables import Chart, Column, Table, percent

# The pace of reservations is measured over the last full months of the period, at most this
# many (see `forecast`).
PACE_MONTHS = 3


def _contract_ids(filters: Filters):
    """The contracts of the chosen direction (a subquery), or None: every contract."""
    if not filters.direction:
        return None
    return Contract.objects.filter(
        period=filters.period, group__module__program__direction=filters.direction
    ).values("pk")


def flows_by_month(filters: Filters) -> dict[dt.date, ledger.MoneyFlows]:
    """month → the period's flows in that month, cut by provider and direction."""
    rows = ledger.money_flows_by_month(
        [filters.period.pk],
        provider_id=filters.provider.pk if filters.provider is not None else None,
        contract_ids=_contract_ids(filters),
    )
    return {month: flows for (_, month), flows in rows.items()}


def _narrowed(filters: Filters) -> bool:
    return filters.provider is not None or bool(filters.direction)


def _filter_note(filters: Filters) -> str:
    notes = []
    if filters.provider is not None:
        notes.append(
            "Отбор по поставщику сужает резервы, списания и оплаты; бюджет, начисления "
            "сертификатам и сгорание к поставщику не относятся и не показаны."
        )
    if filters.direction:
        notes.append(
            "Отбор по направленности сужает резервы и списания (по программе договора); "
            "бюджет, начисления, оплаты (платёжные поручения — по счёту, а не по договору) "
            "и сгорание по направленности не делятся и не показаны."
        )
    return " ".join(notes)


# ------------------------------------------------------------------------------ tables


def summary(filters: Filters, by_month: dict[dt.date, ledger.MoneyFlows]) -> Table:
    """The period's money on one line each, up to the chosen month's end (or to date)."""
    until = filters.month
    total = ledger.MoneyFlows()
    for month, flows in by_month.items():
        if until is None or month <= until:
            total = total + flows
    narrowed = _narrowed(filters)
    budget = None if narrowed else total.funded_kopecks

    def share(value):
        return percent(value, budget) if budget and value is not None else None

    figures = [
        ("budget", "Бюджет периода", budget),
        ("granted", "Начислено на сертификаты (номиналы)", total.granted_kopecks),
        ("revoked", "Возвращено в бюджет при прекращении сертификатов", total.revoked_kopecks),
        ("reserved", "Зарезервировано по договорам (ещё не списано)", total.open_reserved_kopecks),
        ("charged", "Списано за оказанные месяцы", total.charged_kopecks),
        ("paid", "Оплачено поставщикам", total.paid_kopecks),
        ("lapsed", "Сгорело при закрытии периода", total.lapsed_kopecks),
        ("committed", "Обязательства: зарезервировано и списано", total.committed_kopecks),
    ]
    if narrowed:
        figures = [
            (key, label, None if key in ("budget", "granted", "revoked", "lapsed") else value)
            for key, label, value in figures
        ]
        if filters.direction:
            figures = [
                (key, label, None if key == "paid" else value) for key, label, value in figures
            ]
    rows = [
        {"figure": label, "key": key, "amount": value, "share": share(value)}
        for key, label, value in figures
    ]
    when = f"на конец {month_label(until)}" if until else "на сегодня"
    note = (
        f"Суммы {when}, по данным учёта (проводки). «Зарезервировано» — резервы договоров, "
        "ещё не списанные и не возвращённые; доля — от бюджета периода."
    )
    return Table(
        key="money_summary",
        title="Деньги периода",
        columns=[
            Column("figure", "Показатель"),
            Column("amount", "Сумма", "money"),
            Column("share", "Доля бюджета", "percent"),
        ],
        rows=rows,
        chart=Chart("hbar", "figure", ("amount",)),
        note=" ".join(filter(None, [note, _filter_note(filters)])),
    )


def by_month(filters: Filters, flows: dict[dt.date, ledger.MoneyFlows]) -> Table:
    """Month by month (by the date of each movement): what was granted, reserved, released,
    charged, paid and lapsed, and the commitments at the month's end."""
    period = filters.period
    # Movements after the period's end (the lapse at its close, a late correction) get rows of
    # their own after its last month.
    last = max([period.ends_on, *flows])
    months = list(iter_months(period.starts_on, last))
    # Movements dated before the period's first month (a budget funded in advance) count in it.
    early = ledger.MoneyFlows()
    for month, row in flows.items():
        if month < months[0]:
            early = early + row
    narrowed = _narrowed(filters)
    rows = []
    committed = 0
    for index, month in enumerate(months):
        row = flows.get(month, ledger.MoneyFlows())
        if index == 0:
            row = row + early
        committed += row.committed_kopecks
        rows.append(
            {
                "month": month,
                "granted": None if narrowed else row.granted_kopecks,
                "reserved": row.reserved_kopecks,
                "released": row.released_kopecks,
                "charged": row.charged_kopecks,
                "paid": None if filters.direction else row.paid_kopecks,
                "lapsed": None if narrowed else row.lapsed_kopecks,
                "committed": committed,
            }
        )
    if filters.month:
        rows = [row for row in rows if row["month"] == filters.month]
    return Table(
        key="money_by_month",
        title="Деньги по месяцам",
        columns=[
            Column("month", "Месяц", "month"),
            Column("granted", "Начислено", "money"),
            Column("reserved", "Зарезервировано", "money"),
            Column("released", "Возвращено из резерва", "money"),
            Column("charged", "Списано", "money"),
            Column("paid", "Оплачено", "money"),
            Column("lapsed", "Сгорело", "money"),
            Column("committed", "Обязательства на конец месяца", "money"),
        ],
        rows=rows,
        chart=Chart("bar", "month", ("reserved", "charged", "paid")),
        note=" ".join(
            filter(
                None,
                [
                    "По дате движения: резерв — когда договор принят (на весь срок договора), "
                    "списание — когда принят счёт за месяц, оплата — когда записано платёжное "
                    "поручение. Обязательства — резервы и списания нарастающим итогом.",
                    _filter_note(filters),
                ],
            )
        ),
    )


# ---------------------------------------------------------------------------- forecast


@dataclass(frozen=True)
class Forecast:
    """Whether the budget lasts to the period's end at the current pace of reservations.

    status: "ended" (the period is over: no projection), "no_budget", "exhausted"
    (commitments already reach the budget), "lasts" or "runs_out" (on `runs_out_on`).
    The pace is `pace_net_kopecks` of net reservations over `pace_days` days.
    """

    status: str
    on: dt.date
    ends_on: dt.date
    budget_kopecks: int
    committed_kopecks: int
    pace_net_kopecks: int = 0
    pace_days: int = 1
    pace_window: tuple[dt.date, dt.date] | None = None  # the days the pace was measured over
    runs_out_on: dt.date | None = None

    @property
    def projecting(self) -> bool:
        return self.status in ("lasts", "runs_out")

    def projected_at(self, day: dt.date) -> int:
        """Commitments expected at the end of `day` (today's as they are)."""
        if not self.projecting:
            return self.committed_kopecks
        days = max((min(day, self.ends_on) - self.on).days, 0)
        return self.committed_kopecks + self.pace_net_kopecks * days // self.pace_days

    @property
    def projected_kopecks(self) -> int:
        """Commitments expected at the period's end."""
        return self.projected_at(self.ends_on)

    @property
    def margin_kopecks(self) -> int:
        """Budget less the projected commitments (negative: what will be missing)."""
        return self.budget_kopecks - self.projected_kopecks

    @property
    def pace_kopecks_per_month(self) -> int:
        """The pace per 30 days, whole kopecks."""
        return self.pace_net_kopecks * 30 // self.pace_days

    @property
    def committed_share(self):
        return percent(self.committed_kopecks, self.budget_kopecks)

    def sentence(self) -> str:
        if self.status == "no_budget":
            return "Бюджет периода не задан: прогноз невозможен."
        committed = (
            f"обязательства {format_kopecks(self.committed_kopecks)} из бюджета "
            f"{format_kopecks(self.budget_kopecks)}"
        )
        share = self.committed_share
        if share is not None:
            committed += f" ({share:.2f} %)".replace(".", ",")
        if self.status == "ended":
            return (
                f"Период завершён: {committed}; не использовано "
                f"{format_kopecks(max(self.margin_kopecks, 0))}."
            )
        if self.status == "exhausted":
            return f"Бюджет исчерпан: {committed}. Новые резервы делать не из чего."
        pace = f"темп резервирования — {format_kopecks(self.pace_kopecks_per_month)} в месяц"
        if self.pace_window:
            pace += f" (по {self.pace_window[0]:%d.%m.%Y}–{self.pace_window[1]:%d.%m.%Y})"
        if self.status == "lasts":
            return (
                f"Хватит до конца периода: {committed}, {pace}; запас к "
                f"{self.ends_on:%d.%m.%Y} — {format_kopecks(self.margin_kopecks)}."
            )
        return (
            f"Бюджет закончится около {self.runs_out_on:%d.%m.%Y}: {committed}, {pace}; "
            f"до конца периода не хватит {format_kopecks(-self.margin_kopecks)}."
        )


def forecast(
    *,
    budget_kopecks: int,
    by_month: dict[dt.date, ledger.MoneyFlows],
    starts_on: dt.date,
    ends_on: dt.date,
    on: dt.date,
) -> Forecast:
    """The projection of commitments (reservations less what came back, plus charges) to the
    period's end.

    The pace: net reservations (made less released) in the last full months of the period
    before `on`'s month, at most PACE_MONTHS — recent enough to be "the current pace", long
    enough to smooth a month; in the period's first month (no full month yet) the days from its
    start to `on`. Per day, then: the run-out date is the first day whose end sees the
    commitments reach the budget; the projection is commitments + pace × days left.
    """
    committed = sum(
        (flows.committed_kopecks for month, flows in by_month.items() if month <= on),
        start=0,
    )
    base = {"on": on, "ends_on": ends_on, "budget_kopecks": budget_kopecks}
    if on > ends_on:
        return Forecast("ended", committed_kopecks=committed, **base)
    if budget_kopecks <= 0:
        return Forecast("no_budget", committed_kopecks=committed, **base)
    if committed >= budget_kopecks:
        return Forecast("exhausted", committed_kopecks=committed, runs_out_on=on, **base)
    this_month = month_start(on)
    full = [
        add_months(this_month, -n)
        for n in range(PACE_MONTHS, 0, -1)
        if add_months(this_month, -n) >= month_start(starts_on)
    ]
    if on < starts_on:
        window, net, days = None, 0, 1
    elif full:
        window = (max(full[0], starts_on), month_end(full[-1]))
        net = sum(
            by_month[m].reserved_kopecks - by_month[m].released_kopecks
            for m in full
            if m in by_month
        )
        days = (window[1] - window[0]).days + 1
    else:
        window = (starts_on, on)
        row = by_month.get(this_month)
        net = row.reserved_kopecks - row.released_kopecks if row else 0
        days = (on - starts_on).days + 1
    result = Forecast(
        "lasts",
        committed_kopecks=committed,
        pace_net_kopecks=max(net, 0),
        pace_days=days,
        pace_window=window,
        **base,
    )
    if result.projected_kopecks <= budget_kopecks:
        return result
    # The first day d with committed + net × d // days ≥ budget.
    needed = -(-(budget_kopecks - committed) * days // result.pace_net_kopecks)  # ceil, in integers
    return Forecast(
        "runs_out",
        committed_kopecks=committed,
        pace_net_kopecks=result.pace_net_kopecks,
        pace_days=days,
        pace_window=window,
        runs_out_on=on + dt.timedelta(days=needed),
        **base,
    )


def period_forecast(period, by_month: dict[dt.date, ledger.MoneyFlows], on=None) -> Forecast:
    budget = sum((flows.funded_kopecks for flows in by_month.values()), start=0)
    return forecast(
        budget_kopecks=budget,
        by_month=by_month,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        on=on or clock.today(),
    )


STATUS_LABELS = {
    "ended": "период завершён",
    "no_budget": "бюджет не задан",
    "exhausted": "бюджет исчерпан",
    "lasts": "хватит до конца периода",
    "runs_out": "не хватит",
}


def forecast_tables(filters: Filters, whole: dict[dt.date, ledger.MoneyFlows]) -> list[Table]:
    """The forecast for the whole municipality (the budget is not split by provider or
    direction): a one-line verdict and commitments month by month against the budget line,
    projected to the period's end."""
    period = filters.period
    result = period_forecast(period, whole)
    verdict = Table(
        key="forecast",
        title="Прогноз: хватит ли бюджета до конца периода",
        columns=[
            Column("verdict", "Итог"),
            Column("budget", "Бюджет", "money"),
            Column("committed", "Обязательства", "money"),
            Column("committed_share", "Доля бюджета", "percent"),
            Column("pace", "Темп резервирования в месяц", "money"),
            Column("projected", "Обязательства к концу периода (прогноз)", "money"),
            Column("runs_out_on", "Бюджет закончится", "date"),
            Column("margin", "Запас (+) или нехватка (−)", "money"),
        ],
        rows=[
            {
                "verdict": STATUS_LABELS[result.status],
                "budget": result.budget_kopecks,
                "committed": result.committed_kopecks,
                "committed_share": result.committed_share,
                "pace": result.pace_kopecks_per_month,
                "projected": result.projected_kopecks,
                "runs_out_on": result.runs_out_on,
                "margin": result.margin_kopecks,
            }
        ],
        note=result.sentence()
        + " Прогноз — по всему муниципалитету: отборы по поставщику, направленности и месяцу "
        "к нему не применяются. Темп — резервы новых договоров за вычетом возвратов за "
        f"последние полные месяцы периода (до {PACE_MONTHS}).",
    )
    months = list(iter_months(period.starts_on, period.ends_on))
    rows, committed = [], 0
    today_month = month_start(result.on)
    for month in months:
        flows = whole.get(month)
        if month <= today_month:
            committed += flows.committed_kopecks if flows else 0
        if month == months[0]:
            committed += sum(
                (f.committed_kopecks for m, f in whole.items() if m < months[0]), start=0
            )
        actual = committed if month <= today_month else None
        projected = None
        if result.projecting and month >= today_month:
            projected = result.projected_at(month_end(month))
        rows.append(
            {
                "month": month,
                "committed": actual,
                "projected": projected,
                "budget": result.budget_kopecks,
            }
        )
    chart = Table(
        key="forecast_by_month",
        title="Обязательства нарастающим итогом и прогноз против бюджета",
        columns=[
            Column("month", "Месяц", "month"),
            Column("committed", "Обязательства (факт)", "money"),
            Column("projected", "Прогноз", "money"),
            Column("budget", "Бюджет", "money"),
        ],
        rows=rows,
        chart=Chart(
            "line",
            "month",
            ("committed", "projected"),
            target=result.budget_kopecks or None,
            target_label="бюджет",
        ),
        note="Факт — на конец месяца (текущий месяц — на сегодня); прогноз — при нынешнем "
        "темпе резервирования до конца периода.",
    )
    return [verdict, chart]


def tables(filters: Filters) -> list[Table]:
    flows = flows_by_month(filters)
    whole = flows if not _narrowed(filters) else None
    if whole is None:
        whole = {
            month: row
            for (_, month), row in ledger.money_flows_by_month([filters.period.pk]).items()
        }
    return [summary(filters, flows), by_month(filters, flows), *forecast_tables(filters, whole)]


def forecast_only(filters: Filters) -> list[Table]:
    """The forecast section of the API: the verdict and the month-by-month projection."""
    whole = {
        month: row for (_, month), row in ledger.money_flows_by_month([filters.period.pk]).items()
    }
    return forecast_tables(filters, whole)
