"""Coverage: children of the target ages holding a certificate, and using it, as shares of the
municipality's child population — against the announcement's 25 % target.

What the figures mean (docs/decisions.md, 2026-12-05, issue 14 — reports):
- a child **holds** a certificate on day D when a certificate of the municipality was issued
  by the end of D and had not ended by then: its status is live (active or suspended — a
  suspension pauses enrolment, the child still holds it), or it was cancelled/expired after D
  (`status_changed_at`: cancelled and expired are final, so their change moment is the end);
  and it is valid on D (`valid_until`);
- the child's **age** is taken on D: from the 5th birthday to the day before the 18th
  (`TARGET_AGES`);
- a holder **used** the certificate when a contract under that certificate was accepted by D
  (active, completed or terminated — never an offer, a declined or an expired one) and was in
  force some time between the period's start and D; without a period, in force on D;
- the **population** is that of D's calendar year (statistics count ages on 1 January); when
  that year was not entered, the latest earlier year that was (`population_year` says which).

Each figure is a grouped aggregate: the number of queries (three for `summaries`) does not
depend on the number of municipalities, certificates or contracts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.months import month_end, months_between
from pfdo.enrolment.models import Contract
from pfdo.reports.models import TARGET_AGES, ChildPopulation
from pfdo.reports.tables import Chart, Column, Figure, Table, percent

TARGET = Decimal(25)
# Contracts that were accepted: the child attended (or was entitled to) under the certificate.
USED_STATUSES = (
    Contract.Status.ACTIVE,
    Contract.Status.COMPLETED,
    Contract.Status.TERMINATED,
)


@dataclass(frozen=True)
class CoverageSummary:
    population: int | None  # children of TARGET_AGES for the year (None: no data)
    holders: int  # children of TARGET_AGES holding a live certificate on `on`
    users: int  # of them, with a contract in the period up to `on`
    holders_share: Decimal | None  # percent of population (tables.percent)
    users_share: Decimal | None
    population_year: int | None = None  # the year whose population was used

    @property
    def target_met(self) -> bool | None:
        """Whether the holders' share reaches the 25 % target (None: no population)."""
        return None if self.holders_share is None else self.holders_share >= TARGET


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier; 29 February becomes the 28th (a child born on the 29th
    has their birthday on 1 March in common years, see certificates.eighteenth_birthday)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def aged(on: dt.date, low: int, high: int, field: str = "child__birth_date") -> Q:
    """Children whose age in whole years on `on` is within low..high (both included)."""
    return Q(**{f"{field}__lte": years_before(on, low), f"{field}__gt": years_before(on, high + 1)})


def day_start(on: dt.date) -> dt.datetime:
    """The first moment of day `on` (local time), for comparisons of timestamps."""
    return timezone.make_aware(dt.datetime.combine(on, dt.time()))


def _day_end(on: dt.date) -> dt.datetime:
    """The first moment after day `on` (local time)."""
    return day_start(on + dt.timedelta(days=1))


def holding(on: dt.date, prefix: str = "") -> Q:
    """Certificates held on day `on` (see the module's docstring); `prefix` reaches the
    certificate from another model (`certificate__`)."""
    end = _day_end(on)
    return Q(**{f"{prefix}issued_at__lt": end, f"{prefix}valid_until__gte": on}) & (
        Q(**{f"{prefix}status__in": Certificate.LIVE})
        | Q(**{f"{prefix}status_changed_at__gte": end})
    )


@dataclass(frozen=True)
class Point:
    """One figure to count: holders (and users) on day `on` aged low..high."""

    key: object
    on: dt.date
    low: int = TARGET_AGES.start
    high: int = TARGET_AGES.stop - 1


def _bands(day: dt.date, points: list[Point]) -> tuple[Case, list[dt.date]]:
    """Birth-date bands for the points taken on `day`: the age bounds of those points cut the
    birth dates into bands, so each point is a run of consecutive bands. Returns the Case that
    gives a row its band number and the cut dates, newest first."""
    cuts = sorted(
        {years_before(day, point.low) for point in points}
        | {years_before(day, point.high + 1) for point in points},
        reverse=True,
    )
    whens = [When(child__birth_date__gt=cut, then=Value(index)) for index, cut in enumerate(cuts)]
    return Case(*whens, default=Value(len(cuts)), output_field=IntegerField()), cuts


def _band_range(point: Point, day: dt.date, cuts: list[dt.date]) -> range:
    """The bands of `point`: born after its (high+1)-th birthday's date and by its low-th."""
    newest = cuts.index(years_before(day, point.low))
    oldest = cuts.index(years_before(day, point.high + 1))
    return range(newest + 1, oldest + 1)


def _used_by(windows: dict[dt.date, list[int]], on: dt.date, direction: str, provider) -> Q:
    """Certificates whose holder used them by day `on`: an accepted contract begun and accepted
    by `on`, in force some day from its municipality's window start (a contract terminated
    early, up to its `ended_at`). `windows` maps each window start to its municipality ids.

    One uncorrelated `IN (SELECT certificate_id …)` per window start: the database hashes the
    ids once per query, not per certificate. A contract's municipality is its certificate's
    (an application takes the certificate's municipality, the contract the application's, and
    a certificate never changes municipality), so the contracts are narrowed by their own
    municipality — an index range, no join."""
    result = Q()
    for start, ids in windows.items():
        contracts = Contract.objects.filter(
            Q(municipality_id__in=ids),
            Q(status__in=USED_STATUSES),
            Q(starts_on__lte=on, accepted_at__lt=_day_end(on), ends_on__gte=start),
            ~Q(status=Contract.Status.TERMINATED) | Q(ended_at__gte=day_start(start)),
        )
        if direction:
            contracts = contracts.filter(group__module__program__direction=direction)
        if provider is not None:
            contracts = contracts.filter(provider=provider)
        result |= Q(municipality_id__in=ids, pk__in=contracts.values("certificate_id"))
    return result


def count(
    starts: dict[int, dt.date | None],
    points: Iterable[Point],
    *,
    direction: str = "",
    provider=None,
) -> dict[tuple[int, object], tuple[int, int]]:
    """Holders and users for every municipality id of `starts` (mapped to its period's first
    day, or None) and every point: `{(municipality id, point key): (holders, users)}`.

    One query over the certificates (with their child's birth date), grouped by municipality
    and by birth-date band on the last day. A child holds at most one live certificate
    (`certificates_one_live_per_child`, and a cancelled or expired one stopped being held when
    its status changed), so on any day the certificates held are the children holding them:
    plain counts, no distinct count (no sort). Points on the last day come from the bands (one
    "used" subquery for that day); a point on an earlier day is a filtered count with its own
    age bounds and "used" subquery. Without a period the window is the point's day itself, so
    a municipality without one is counted on a single day (as `summaries` does)."""
    points = list(points)
    if not starts or not points:
        return {}
    days = sorted({point.on for point in points})
    if None in starts.values() and len(days) > 1:
        raise ValueError("a municipality without a period is counted on one day only")
    first, last = days[0], days[-1]
    windows: dict[dt.date, list[int]] = {}
    for mid, start in starts.items():
        windows.setdefault(start or last, []).append(mid)

    on_last = [point for point in points if point.on == last]
    earlier = [point for point in points if point.on != last]
    held_last = holding(last)
    grouping = ["municipality_id"]
    if len(on_last) == 1:
        # One point on the last day (the regional view): its ages are a filter, no bands —
        # grouped by municipality only, which the planner hashes.
        only = on_last[0]
        held_last &= aged(last, only.low, only.high)
        bands, cuts = {}, []
    else:
        band, cuts = _bands(last, on_last)
        bands = {"band": band}
        grouping.append("band")
    counts = {
        "h": Count("pk", filter=held_last),
        "u": Count("pk", filter=held_last & _used_by(windows, last, direction, provider)),
    }
    for i, point in enumerate(earlier):
        held = holding(point.on) & aged(point.on, point.low, point.high)
        counts[f"h{i}"] = Count("pk", filter=held)
        counts[f"u{i}"] = Count(
            "pk", filter=held & _used_by(windows, point.on, direction, provider)
        )
    rows = (
        Certificate.objects.filter(municipality_id__in=list(starts), issued_at__lt=_day_end(last))
        .filter(Q(status__in=Certificate.LIVE) | Q(status_changed_at__gte=_day_end(first)))
        .annotate(**bands)
        .values(*grouping)
        .annotate(**counts)
        .order_by()
    )
    result: dict[tuple[int, object], tuple[int, int]] = {}

    def add(mid, key, holders, users):
        before = result.get((mid, key), (0, 0))
        result[(mid, key)] = (before[0] + holders, before[1] + users)

    for row in rows:
        mid = row["municipality_id"]
        for point in on_last:
            if not cuts or row["band"] in _band_range(point, last, cuts):
                add(mid, point.key, row["h"], row["u"])
            else:
                add(mid, point.key, 0, 0)
        for i, point in enumerate(earlier):
            add(mid, point.key, row[f"h{i}"], row[f"u{i}"])
    return result


def populations(
    municipality_ids: Iterable[int], ages: Iterable[int] = TARGET_AGES
) -> dict[int, dict[int, int]]:
    """`{municipality id: {year: children of `ages`}}` — one query."""
    result: dict[int, dict[int, int]] = {}
    rows = (
        ChildPopulation.objects.filter(municipality_id__in=list(municipality_ids), age__in=ages)
        .values("municipality_id", "year")
        .annotate(children=Sum("children"))
        .order_by()
    )
    for row in rows:
        result.setdefault(row["municipality_id"], {})[row["year"]] = row["children"]
    return result


def population_for(by_year: dict[int, int] | None, year: int) -> tuple[int | None, int | None]:
    """The population of `year`, or of the latest earlier year entered: (children, year)."""
    years = [y for y in (by_year or {}) if y <= year]
    if not years:
        return None, None
    chosen = max(years)
    return by_year[chosen], chosen


def summary(holders: int, users: int, by_year: dict[int, int] | None, year: int) -> CoverageSummary:
    population, population_year = population_for(by_year, year)
    return CoverageSummary(
        population=population,
        holders=holders,
        users=users,
        holders_share=percent(holders, population) if population is not None else None,
        users_share=percent(users, population) if population is not None else None,
        population_year=population_year,
    )


def summaries(
    pairs, on: dt.date, *, direction: str = "", provider=None
) -> dict[int, CoverageSummary]:
    """Coverage of each (municipality, period or None) on day `on`, keyed by municipality id —
    three queries whatever the number of pairs. `direction`/`provider` narrow the users."""
    starts = {
        municipality.pk: (period.starts_on if period else None) for municipality, period in pairs
    }
    counts = count(starts, [Point("on", on)], direction=direction, provider=provider)
    people = populations(starts)
    return {
        mid: summary(*counts.get((mid, "on"), (0, 0)), people.get(mid), on.year) for mid in starts
    }


# ---------------------------------------------------------------- the dashboard's section

AGE_GROUPS = (("5–9 лет", 5, 9), ("10–13 лет", 10, 13), ("14–17 лет", 14, 17))


def report_day(filters) -> dt.date:
    """The day the section's current figures are taken on: today, within the period (or the
    chosen month); a period or month still to come is read on its first day."""
    start = filters.month or filters.period.starts_on
    end = month_end(filters.month) if filters.month else filters.period.ends_on
    return min(end, max(clock.today(), start))


def _ages_population(municipality_id: int) -> dict[int, dict[int, int]]:
    """{year: {age: children}} of the target ages — one query."""
    result: dict[int, dict[int, int]] = {}
    rows = ChildPopulation.objects.filter(
        municipality_id=municipality_id, age__in=TARGET_AGES
    ).values_list("year", "age", "children")
    for year, age, children in rows:
        result.setdefault(year, {})[age] = children
    return result


def _met(share: Decimal | None) -> str:
    if share is None:
        return "нет данных"
    return "да" if share >= TARGET else "нет"


def tables(filters) -> list[Table]:
    """Coverage now (with the headline), month by month over the period, and by age group —
    three queries."""
    municipality = filters.municipality
    day = report_day(filters)
    months = [filters.month] if filters.month else months_between(filters.period.starts_on, day)
    month_days = {month: min(month_end(month), day) for month in months}
    points = [Point(("month", month), on) for month, on in month_days.items()]
    points += [Point(("age", label), day, low, high) for label, low, high in AGE_GROUPS]
    counts = count(
        {municipality.pk: filters.period.starts_on},
        points,
        direction=filters.direction,
        provider=filters.provider,
    )
    by_age = _ages_population(municipality.pk)
    by_year = {year: sum(ages.values()) for year, ages in by_age.items()}

    def figures(key, on) -> CoverageSummary:
        return summary(*counts.get((municipality.pk, key), (0, 0)), by_year, on.year)

    narrowed = ""
    if filters.direction or filters.provider is not None:
        narrowed = (
            " «Воспользовались» — только договоры выбранной направленности/поставщика; "
            "держатели сертификатов фильтрами не сужаются."
        )
    # Today's figure is the sum of the age groups: they split the target ages, a child is in one.
    holders, users = 0, 0
    for label, _, _ in AGE_GROUPS:
        h, u = counts.get((municipality.pk, ("age", label)), (0, 0))
        holders, users = holders + h, users + u
    now = summary(holders, users, by_year, day.year)
    return [
        _now_table(filters, day, now, narrowed),
        _monthly_table(month_days, figures, narrowed),
        _age_table(day, counts, municipality.pk, by_age, narrowed),
    ]


def _population_note(summary_: CoverageSummary, year: int) -> str:
    if summary_.population_year is None:
        return "Численность детей не внесена — доли не считаются."
    if summary_.population_year != year:
        return f"Численность за {year} г. не внесена: взята за {summary_.population_year} г."
    return f"Численность детей — за {year} г."


def _now_table(filters, day, now: CoverageSummary, narrowed) -> Table:
    status = {True: "met", False: "missed"}.get(now.target_met, "")
    note = {
        True: "цель 25 % достигнута",
        False: "цель 25 % не достигнута",
        None: "цель 25 %: нет данных о численности",
    }[now.target_met]
    rows = [
        {
            "measure": "Детей 5–17 лет в муниципалитете",
            "children": now.population,
            "share": None,
            "target": None,
            "met": "",
        },
        {
            "measure": "Держат сертификат",
            "children": now.holders,
            "share": now.holders_share,
            "target": TARGET,
            "met": _met(now.holders_share),
        },
        {
            "measure": "Воспользовались (договор в периоде)",
            "children": now.users,
            "share": now.users_share,
            "target": None,
            "met": "",
        },
    ]
    return Table(
        key="coverage_now",
        title=f"Охват на {day:%d.%m.%Y}",
        columns=[
            Column("measure", "Показатель"),
            Column("children", "Детей", "int"),
            Column("share", "Доля от численности", "percent"),
            Column("target", "Цель", "percent"),
            Column("met", "Цель достигнута"),
        ],
        rows=rows,
        chart=Chart("hbar", "measure", ("share",), target=TARGET, target_label="цель 25 %"),
        note=(
            f"Дети 5–17 лет (с 5-летия до 18-летия) на {day:%d.%m.%Y}, чей сертификат выдан и "
            "не аннулирован и не истёк к этому дню (приостановленный считается). "
            "«Воспользовались» — есть принятый договор по сертификату, действовавший с начала "
            f"периода по этот день. {_population_note(now, day.year)}{narrowed}"
        ),
        figures=[
            Figure("детей 5–17 лет держат сертификат", now.holders_share, "percent", note, status),
            Figure("воспользовались сертификатом", now.users_share, "percent"),
        ],
    )


def _monthly_table(month_days, figures, narrowed) -> Table:
    rows = []
    years = set()
    for month, on in month_days.items():
        item = figures(("month", month), on)
        years.add(item.population_year)
        rows.append(
            {
                "month": month,
                "population": item.population,
                "holders": item.holders,
                "holders_share": item.holders_share,
                "users": item.users,
                "users_share": item.users_share,
                "target": TARGET,
                "met": _met(item.holders_share),
            }
        )
    return Table(
        key="coverage_by_month",
        title="Охват по месяцам",
        columns=[
            Column("month", "Месяц", "month"),
            Column("population", "Детей 5–17 лет", "int"),
            Column("holders", "Держат сертификат", "int"),
            Column("holders_share", "Доля держателей", "percent"),
            Column("users", "Воспользовались", "int"),
            Column("users_share", "Доля воспользовавшихся", "percent"),
            Column("target", "Цель", "percent"),
            Column("met", "Цель достигнута"),
        ],
        rows=rows,
        chart=Chart(
            "line",
            "month",
            ("holders_share", "users_share"),
            target=TARGET,
            target_label="цель 25 %",
        ),
        note=(
            "На последний день каждого месяца (текущий — на сегодня); численность — за "
            "календарный год месяца (если год не внесён — за последний внесённый). "
            "«Воспользовались» — договор по сертификату с начала периода по конец месяца."
            + narrowed
        ),
    )


def _age_table(day, counts, municipality_id, by_age, narrowed) -> Table:
    year = max((y for y in by_age if y <= day.year), default=None)
    ages = by_age.get(year, {})
    rows = []
    for label, low, high in AGE_GROUPS:
        holders, users = counts.get((municipality_id, ("age", label)), (0, 0))
        population = sum(ages.get(age, 0) for age in range(low, high + 1)) if ages else None
        rows.append(
            {
                "group": label,
                "population": population,
                "holders": holders,
                "holders_share": percent(holders, population) if population else None,
                "users": users,
                "users_share": percent(users, population) if population else None,
            }
        )
    return Table(
        key="coverage_by_age",
        title=f"Охват по возрастным группам на {day:%d.%m.%Y}",
        columns=[
            Column("group", "Возраст"),
            Column("population", "Детей", "int"),
            Column("holders", "Держат сертификат", "int"),
            Column("holders_share", "Доля держателей", "percent"),
            Column("users", "Воспользовались", "int"),
            Column("users_share", "Доля воспользовавшихся", "percent"),
        ],
        rows=rows,
        chart=Chart(
            "bar",
            "group",
            ("holders_share", "users_share"),
            target=TARGET,
            target_label="цель 25 %",
        ),
        note=(
            "Возраст — полных лет на дату отчёта; численность по возрастам — за "
            f"{year or day.year} г." + narrowed
        ),
    )
