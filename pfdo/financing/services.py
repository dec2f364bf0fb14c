"""Write use-cases of financing periods: create, edit, nominal categories, approve, lock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from pfdo.audit import services as audit
from pfdo.common import authz, clock
from pfdo.common.calendar import library_is_working_day
from pfdo.common.choices import Direction
from pfdo.common.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from pfdo.common.hooks import Hook
from pfdo.common.money import format_kopecks
from pfdo.common.times import YEARS_2000_2100
from pfdo.financing.models import CalendarDay, FinancingPeriod, NominalCategory
from pfdo.financing.rules import manages_municipality
from pfdo.territory.models import Municipality, Region

Status = FinancingPeriod.Status

BASE_COST_FIELDS: tuple[str, ...] = tuple(f"base_{d.value}_kopecks" for d in Direction)
COEFFICIENT_FIELDS: tuple[str, ...] = tuple(
    f.name for f in FinancingPeriod._meta.get_fields() if f.name.startswith("k_")
)
# Technical bounds (column sizes, sanity), not business rules: those are the period's data.
MAX_KOPECKS = 10**15
COUNT_BOUNDS: dict[str, tuple[int, int, str]] = {
    "certificate_quota": (0, 10_000_000, "Квота — целое число сертификатов от 0."),
    "accounting_program_limit": (0, 99, "Число программ — от 0 до 99."),
    "advance_share_percent": (0, 100, "Доля аванса — от 0 до 100 %."),
    "advance_from_working_day": (1, 23, "Рабочий день месяца — от 1 до 23."),
    "payment_term_working_days": (0, 365, "Срок оплаты — от 0 до 365 рабочих дней."),
    "decision_days": (1, 60, "Срок решения — от 1 до 60 дней."),
    "offer_days": (1, 60, "Срок принятия договора — от 1 до 60 дней."),
    "freeze_days": (0, 60, "Заморозка — от 0 до 60 дней."),
}
BOOL_FIELDS = ("scale_nominal_by_months", "december_invoice_in_december")
CHOICE_FIELDS = {
    "billing_basis": FinancingPeriod.BillingBasis,
    "boundary_month_rule": FinancingPeriod.BoundaryMonthRule,
}
# Everything an official edits on a period (its municipality and status are not edited).
SETTING_FIELDS: tuple[str, ...] = (
    "certificate_quota",
    "budget_kopecks",
    "scale_nominal_by_months",
    "accounting_program_limit",
    "billing_basis",
    "boundary_month_rule",
    "advance_share_percent",
    "advance_from_working_day",
    "payment_term_working_days",
    "december_invoice_in_december",
    "decision_days",
    "offer_days",
    "freeze_days",
    *BASE_COST_FIELDS,
    *COEFFICIENT_FIELDS,
)
EDITABLE_FIELDS: tuple[str, ...] = ("name", "starts_on", "ends_on", *SETTING_FIELDS)
CATEGORY_FIELDS = ("name", "age_from_months", "age_to_months", "disability_only", "nominal_kopecks")
# A certificate is valid until the child turns 18 (domain.md §3).
MAX_AGE_MONTHS = 18 * 12
AGE_MONTHS_MESSAGE = f"Возраст в месяцах — целое число от 0 до {MAX_AGE_MONTHS} (18 лет)."
AGE_ORDER_MESSAGE = "Верхняя граница возраста должна быть больше нижней."


def lock_reason(period: FinancingPeriod) -> str:
    """Why money fields of `period` can no longer change (shown on the page and in the API)."""
    started = period.commitments_started_at
    since = timezone.localdate(started) if started else None
    when = f" (первый — {since:%d.%m.%Y})" if since else ""
    return (
        f"По периоду уже заключены договоры или начислены номиналы{when}: это изменило бы деньги, "
        "уже обещанные семьям и поставщикам, поэтому поле закрыто для правки."
    )


# ---------------------------------------------------------------------------- amendments

# What a period's money already bears is known above this app (certificates hold the places,
# the ledger the budget), and a changed budget moves money in the ledger. financing sits below
# both, so it declares two hooks the certificates app connects at start-up (its AppConfig).
period_floors = Hook(
    "financing.period_floors",
    'floors(period=...) -> {"certificate_quota": places used, "budget_kopecks": committed}',
)
period_amended = Hook(
    "financing.period_amended",
    "handler(actor=, period=, changes={field: (old, new)}), inside update_period's transaction",
)


def commitment_floors(period: FinancingPeriod) -> dict[str, int]:
    """The lowest quota and budget `period` may be amended to (0 without commitments)."""
    answers = period_floors.collect(period=period)
    return {
        f: max([int(values.get(f, 0)) for values in answers], default=0)
        for f in FinancingPeriod.AMENDABLE_FIELDS
    }


def amendment_hint(period: FinancingPeriod, field: str) -> str:
    """What the form says under an amendable field of a locked period."""
    floor = commitment_floors(period)[field]
    if field == "certificate_quota":
        return f"Можно увеличить; уменьшить — не ниже числа занятых мест ({floor})."
    return f"Можно увеличить; уменьшить — не ниже уже распределённого ({format_kopecks(floor)})."


def _floor_errors(period: FinancingPeriod, values: dict[str, Any]) -> _Errors:
    errors = _Errors()
    floors = commitment_floors(period)
    quota, used = values["certificate_quota"], floors["certificate_quota"]
    if quota is not None and quota < used and quota < period.certificate_quota:
        errors.add(
            "certificate_quota",
            f"Квоту можно уменьшить только до числа уже занятых мест сертификатов "
            f"финансирования в периоде: {used}.",
        )
    budget, committed = values["budget_kopecks"], floors["budget_kopecks"]
    if budget is not None and budget < committed and budget < period.budget_kopecks:
        errors.add(
            "budget_kopecks",
            f"Бюджет можно уменьшить только до уже распределённой суммы "
            f"(начислено сертификатам): {format_kopecks(committed)}.",
        )
    return errors


# ---------------------------------------------------------------------------- validation


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _as_coefficient(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _clean_period(values: dict[str, Any]) -> tuple[dict[str, Any], _Errors]:
    """Coerce and check a complete set of period values; returns (clean values, field errors)."""
    clean: dict[str, Any] = {}
    errors = _Errors()
    name = values.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors.add("name", "Укажите название периода, например «ПФДО 2026/27».")
    elif len(name) > 200:
        errors.add("name", "Название — не длиннее 200 символов.")
    clean["name"] = name

    for field, label in (("starts_on", "начала"), ("ends_on", "окончания")):
        clean[field] = _as_date(values.get(field))
        if clean[field] is None:
            errors.add(field, f"Укажите дату {label} периода.")
    if clean["starts_on"] and clean["ends_on"] and clean["ends_on"] <= clean["starts_on"]:
        errors.add("ends_on", "Окончание периода должно быть позже начала.")

    for field in ("budget_kopecks", *BASE_COST_FIELDS):
        amount = _as_int(values.get(field))
        if amount is None:
            errors.add(field, "Укажите сумму целым числом копеек.")
        elif amount < 0:
            errors.add(field, "Сумма не может быть отрицательной.")
        elif amount > MAX_KOPECKS:
            errors.add(field, "Слишком большая сумма.")
        clean[field] = amount

    for field, (low, high, message) in COUNT_BOUNDS.items():
        number = _as_int(values.get(field))
        if number is None or not low <= number <= high:
            errors.add(field, message)
        clean[field] = number

    for field in COEFFICIENT_FIELDS:
        k = _as_coefficient(values.get(field))
        if k is None:
            errors.add(field, "Укажите коэффициент числом, например 1,2.")
        elif k <= 0:
            errors.add(field, "Коэффициент должен быть больше нуля.")
        elif k >= 1000 or k.as_tuple().exponent < -3:
            errors.add(field, "Коэффициент — меньше 1000, не больше трёх знаков после запятой.")
        clean[field] = k

    for field in BOOL_FIELDS:
        if not isinstance(values.get(field), bool):
            errors.add(field, "Укажите да или нет.")
        clean[field] = values.get(field)

    for field, choices in CHOICE_FIELDS.items():
        if values.get(field) not in choices.values:
            errors.add(field, "Выберите одно из значений: " + "; ".join(choices.labels) + ".")
        clean[field] = values.get(field)
    return clean, errors


def _overlap_errors(
    *, municipality_id: int, starts_on: dt.date, ends_on: dt.date, exclude_pk: int | None = None
) -> _Errors:
    errors = _Errors()
    other = (
        FinancingPeriod.objects.filter(municipality_id=municipality_id)
        .overlapping(starts_on, ends_on)
        .exclude(pk=exclude_pk)
        .order_by("starts_on")
        .first()
    )
    if other is None:
        return errors
    message = (
        f"Период пересекается с «{other.name}» ({other.starts_on:%d.%m.%Y}–"
        f"{other.ends_on:%d.%m.%Y}): у муниципалитета на каждый день — не больше одного периода."
    )
    start_inside = other.starts_on <= starts_on <= other.ends_on
    end_inside = other.starts_on <= ends_on <= other.ends_on
    if start_inside or not end_inside:
        errors.add("starts_on", message)
    if end_inside or not start_inside:
        errors.add("ends_on", message)
    return errors


def _approval_errors(
    period: FinancingPeriod,
    nominals: list[int],
    *,
    promise_fields: tuple[str, ...] = ("certificate_quota",),
) -> _Errors:
    """What keeps `period` with these nominals from being (or staying) approved."""
    errors = _Errors()
    if not nominals:
        errors.add("nominal_categories", "Нужна хотя бы одна категория номинала.")
    for direction in Direction:
        if period.base_cost_kopecks(direction) <= 0:
            errors.add(
                f"base_{direction.value}_kopecks",
                f"Укажите базовый норматив для направления «{direction.label}».",
            )
    largest = max(nominals, default=0)
    promise = period.certificate_quota * largest
    if promise > period.budget_kopecks:
        fitting = period.budget_kopecks // largest
        message = (
            f"Квота × наибольший номинал = {format_kopecks(promise)}, это больше объёма "
            f"обеспечения {format_kopecks(period.budget_kopecks)}. При таком бюджете и номинале "
            f"квота — не больше {fitting} сертификатов."
        )
        for field in promise_fields:
            errors.add(field, message)
    return errors


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _ensure_manager(actor, municipality) -> None:
    """actor None is the system itself (demo seeding, data migrations)."""
    if actor is not None and not manages_municipality(actor, municipality):
        raise AccessDenied(
            "Параметры финансирования этого муниципалитета ведёт его оператор.",
            fields={"municipality": "Вы не ведёте финансирование этого муниципалитета."},
        )


def _lock_period(period: FinancingPeriod) -> FinancingPeriod:
    locked = FinancingPeriod.objects.select_for_update().filter(pk=period.pk).first()
    if locked is None:
        raise NotFound("Период не найден.")
    return locked


# ---------------------------------------------------------------------------- periods


@transaction.atomic
def create_period(
    *,
    actor,
    municipality: Municipality,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    **settings: Any,
) -> FinancingPeriod:
    """A new draft period; `settings` are any of SETTING_FIELDS (model defaults otherwise)."""
    unknown = set(settings) - set(SETTING_FIELDS)
    if unknown:
        raise TypeError(f"create_period() got unknown settings: {', '.join(sorted(unknown))}")
    _ensure_manager(actor, municipality)
    defaults = {f: FinancingPeriod._meta.get_field(f).get_default() for f in SETTING_FIELDS}
    values, errors = _clean_period(
        {**defaults, **settings, "name": name, "starts_on": starts_on, "ends_on": ends_on}
    )
    if errors:
        raise ValidationFailed(fields=errors)
    # The municipality row serialises period creation and date changes: two officials
    # submitting overlapping periods at once cannot both pass the check below.
    Municipality.objects.select_for_update().get(pk=municipality.pk)
    errors = _overlap_errors(
        municipality_id=municipality.pk, starts_on=values["starts_on"], ends_on=values["ends_on"]
    )
    if errors:
        # Well-formed dates another period's refuse: a conflict with the stored rows (409).
        raise Conflict(
            "Период пересекается с другим периодом муниципалитета.",
            code="period_overlap",
            fields=errors,
        )
    period = FinancingPeriod(municipality=municipality, **values)
    period.save()
    audit.record(
        actor=actor,
        action="financing.period_created",
        obj=period,
        municipality=municipality,
        details={f: _json(values[f]) for f in EDITABLE_FIELDS},
    )
    return period


@transaction.atomic
def update_period(*, actor, period: FinancingPeriod, **changes: Any) -> FinancingPeriod:
    """Change any of EDITABLE_FIELDS; the audit row keeps old → new of every changed field.

    Once contracts exist (`is_locked`), MONEY_FIELDS are refused except the quota and the
    budget, which may always be raised and lowered only down to what is committed
    (`commitment_floors`); the ledger follows a changed budget (the registered hook). An
    approved period must keep satisfying the approval conditions.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"update_period() got unknown fields: {', '.join(sorted(unknown))}")
    _ensure_manager(actor, period.municipality)
    # Lock order everywhere: municipality, then period.
    Municipality.objects.select_for_update().get(pk=period.municipality_id)
    locked = _lock_period(period)
    if locked.status == Status.CLOSED:
        raise Conflict("Период закрыт: его параметры больше не меняются.")
    current = {f: getattr(locked, f) for f in EDITABLE_FIELDS}
    values, errors = _clean_period({**current, **changes})
    if errors:
        raise ValidationFailed(fields=errors)
    diff = {f: (current[f], values[f]) for f in EDITABLE_FIELDS if values[f] != current[f]}
    if not diff:
        return locked
    frozen = [
        f
        for f in diff
        if f in FinancingPeriod.MONEY_FIELDS and f not in FinancingPeriod.AMENDABLE_FIELDS
    ]
    if locked.is_locked and frozen:
        # The values are well-formed; the period's state refuses them (409, like a closed one).
        reason = lock_reason(locked)
        raise Conflict(reason, code="period_locked", fields={f: reason for f in frozen})
    if any(f in diff for f in FinancingPeriod.AMENDABLE_FIELDS):
        # Raising is always allowed; lowering only down to what is already committed.
        errors = _floor_errors(locked, values)
        if errors:
            # What is committed refuses a well-formed value: 409, like a locked field.
            raise Conflict(
                "Квоту и бюджет нельзя уменьшить ниже уже принятых обязательств.",
                code="below_commitments",
                fields=errors,
            )
    if "starts_on" in diff or "ends_on" in diff:
        errors = _overlap_errors(
            municipality_id=locked.municipality_id,
            starts_on=values["starts_on"],
            ends_on=values["ends_on"],
            exclude_pk=locked.pk,
        )
        if errors:
            raise Conflict(
                "Период пересекается с другим периодом муниципалитета.",
                code="period_overlap",
                fields=errors,
            )
    for field, (_, new) in diff.items():
        setattr(locked, field, new)
    if locked.status == Status.APPROVED:
        changed_promise = tuple(f for f in ("certificate_quota", "budget_kopecks") if f in diff)
        errors = _approval_errors(
            locked,
            list(locked.nominal_categories.values_list("nominal_kopecks", flat=True)),
            promise_fields=changed_promise or ("certificate_quota",),
        )
        if errors:
            # The approval refuses a well-formed value (the stored nominals, the status): 409.
            raise Conflict(
                "Утверждённый период должен оставаться обеспеченным и полным.",
                code="period_unsecured",
                fields=errors,
            )
    locked.save(update_fields=list(diff))
    amended = {f: diff[f] for f in FinancingPeriod.AMENDABLE_FIELDS if f in diff}
    if amended:
        period_amended.send(actor=actor, period=locked, changes=amended)
    audit.record(
        actor=actor,
        action="financing.period_updated",
        obj=locked,
        municipality=locked.municipality,
        details={
            "changes": {f: {"old": _json(old), "new": _json(new)} for f, (old, new) in diff.items()}
        },
    )
    return locked


# Work of apps above financing that follows an approval, registered at start-up (the
# catalogue recomputes normative costs from the approved parameters). Financing cannot import
# them; every way of approving (page, API, demo) goes through approve_period, so none forgets.
period_approved = Hook(
    "financing.period_approved",
    "handler(actor=..., period=...), called in approve_period's transaction.",
)


@transaction.atomic
def approve_period(*, actor, period: FinancingPeriod) -> FinancingPeriod:
    """draft → approved, once complete: nominals, six base costs, quota × nominal ≤ budget."""
    _ensure_manager(actor, period.municipality)
    locked = _lock_period(period)
    if locked.status != Status.DRAFT:
        raise Conflict(
            f"Утвердить можно только черновик; этот период — «{locked.get_status_display()}»."
        )
    nominals = list(locked.nominal_categories.values_list("nominal_kopecks", flat=True))
    errors = _approval_errors(locked, nominals)
    if errors:
        # What the period lacks is its state (its nominals, its stored settings): 409.
        raise Conflict(
            "Период нельзя утвердить: заполните недостающее.",
            code="period_incomplete",
            fields=errors,
        )
    locked.approve()
    locked.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="financing.period_approved",
        obj=locked,
        municipality=locked.municipality,
        details={
            "certificate_quota": locked.certificate_quota,
            "budget_kopecks": locked.budget_kopecks,
            "largest_nominal_kopecks": max(nominals),
        },
    )
    period_approved.send(actor=actor, period=locked)
    return locked


@transaction.atomic
def mark_commitments_started(*, actor=None, period: FinancingPeriod) -> bool:
    """The first contract of the period: lock MONEY_FIELDS and nominals. True if this call did.

    A conditional UPDATE, so concurrent enrolments mark it exactly once and never overwrite
    the first moment.
    """
    at = clock.now()
    marked = FinancingPeriod.objects.filter(
        pk=period.pk, status=Status.APPROVED, commitments_started_at__isnull=True
    ).update(commitments_started_at=at)
    if marked:
        period.commitments_started_at = at
        audit.record(
            actor=actor,
            action="financing.commitments_started",
            obj=period,
            municipality=period.municipality,
        )
        return True
    row = FinancingPeriod.objects.filter(pk=period.pk).values("status", "commitments_started_at")
    current = row.first()
    if current is None:
        raise NotFound("Период не найден.")
    if current["commitments_started_at"] is None:
        raise Conflict("Договоры заключаются только в утверждённом периоде.")
    period.commitments_started_at = current["commitments_started_at"]
    return False


# ---------------------------------------------------------------------------- nominal categories


def _lock_for_categories(actor, period: FinancingPeriod) -> FinancingPeriod:
    _ensure_manager(actor, period.municipality)
    locked = _lock_period(period)
    if locked.status == Status.CLOSED:
        raise Conflict("Период закрыт: его номиналы больше не меняются.")
    if locked.is_locked:
        reason = lock_reason(locked)
        raise Conflict(reason, code="period_locked", fields={"nominal_categories": reason})
    return locked


def _clean_category(
    values: dict[str, Any], others: list[NominalCategory], *, sent: set[str] | frozenset[str]
) -> dict[str, Any]:
    """Check a complete set of category values; `sent` names the ones the request gave.

    Raises ValidationFailed (400) for a value that is wrong by itself or against another value
    of the same request, Conflict `category_conflict` (409) for a well-formed value the other
    categories of the period (or the category's stored values) refuse.
    """
    clean: dict[str, Any] = {}
    errors = _Errors()
    name = values.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors.add("name", "Укажите название категории, например «Дети 5–18 лет».")
    elif len(name) > 200:
        errors.add("name", "Название — не длиннее 200 символов.")
    clean["name"] = name
    for field in ("age_from_months", "age_to_months"):
        months = _as_int(values.get(field))
        if months is None or not 0 <= months <= MAX_AGE_MONTHS:
            errors.add(field, AGE_MONTHS_MESSAGE)
            months = None
        clean[field] = months
    low, high = clean["age_from_months"], clean["age_to_months"]
    disability_only = values.get("disability_only")
    if not isinstance(disability_only, bool):
        errors.add("disability_only", "Укажите да или нет.")
    clean["disability_only"] = disability_only
    nominal = _as_int(values.get("nominal_kopecks"))
    if nominal is None:
        errors.add("nominal_kopecks", "Укажите номинал целым числом копеек.")
    elif nominal < 0:
        errors.add("nominal_kopecks", "Номинал не может быть отрицательным.")
    elif nominal > MAX_KOPECKS:
        errors.add("nominal_kopecks", "Слишком большой номинал.")
    clean["nominal_kopecks"] = nominal
    ages = {"age_from_months", "age_to_months"}
    unordered = low is not None and high is not None and high <= low
    if unordered and ages <= sent:
        # Both bounds in one request: a relation inside the body (400).
        errors.add("age_to_months", AGE_ORDER_MESSAGE)
    if errors:
        raise ValidationFailed(fields=errors)

    conflicts = _Errors()
    if unordered:
        # One bound sent, refused by the other one stored: the category's state (409).
        for field in sorted(ages & sent) or ["age_to_months"]:
            conflicts.add(field, AGE_ORDER_MESSAGE)
    if any(o.name.casefold() == name.casefold() for o in others):
        conflicts.add("name", "Категория с таким названием в периоде уже есть.")
    if not unordered:
        for other in others:
            if other.disability_only != disability_only:
                continue
            if low < other.age_to_months and other.age_from_months < high:
                conflicts.add(
                    "age_from_months",
                    f"Возраст пересекается с категорией «{other.name}» "
                    f"({other.age_from_months}–{other.age_to_months} мес.): ребёнку должен "
                    "подходить один номинал.",
                )
                break
    if conflicts:
        first = next(iter(conflicts.values()))[0]
        raise Conflict(first, code="category_conflict", fields=conflicts)
    return clean


def _recheck_approved(period: FinancingPeriod, nominals: list[int]) -> None:
    if period.status != Status.APPROVED:
        return
    errors = _approval_errors(period, nominals, promise_fields=("nominal_kopecks",))
    # Base costs cannot be broken by a category change; report only what the change broke.
    relevant = {k: v for k, v in errors.items() if k in ("nominal_categories", "nominal_kopecks")}
    if relevant:
        raise Conflict(
            "Утверждённый период должен оставаться обеспеченным бюджетом.",
            code="period_unsecured",
            fields=relevant,
        )


@transaction.atomic
def add_nominal_category(
    *,
    actor,
    period: FinancingPeriod,
    name: str,
    age_from_months: int,
    age_to_months: int,
    nominal_kopecks: int,
    disability_only: bool = False,
) -> NominalCategory:
    locked = _lock_for_categories(actor, period)
    others = list(locked.nominal_categories.all())
    values = _clean_category(
        {
            "name": name,
            "age_from_months": age_from_months,
            "age_to_months": age_to_months,
            "disability_only": disability_only,
            "nominal_kopecks": nominal_kopecks,
        },
        others,
        sent=frozenset(CATEGORY_FIELDS),
    )
    _recheck_approved(locked, [o.nominal_kopecks for o in others] + [values["nominal_kopecks"]])
    category = NominalCategory(period=locked, **values)
    category.save()
    audit.record(
        actor=actor,
        action="financing.nominal_added",
        obj=locked,
        municipality=locked.municipality,
        details={"category_id": category.pk, **values},
    )
    return category


@transaction.atomic
def update_nominal_category(*, actor, category: NominalCategory, **changes: Any) -> NominalCategory:
    unknown = set(changes) - set(CATEGORY_FIELDS)
    if unknown:
        raise TypeError(
            f"update_nominal_category() got unknown fields: {', '.join(sorted(unknown))}"
        )
    locked = _lock_for_categories(actor, category.period)
    siblings = list(locked.nominal_categories.all())
    current_row = next((c for c in siblings if c.pk == category.pk), None)
    if current_row is None:
        raise NotFound("Категория номинала не найдена.")
    others = [c for c in siblings if c.pk != category.pk]
    current = {f: getattr(current_row, f) for f in CATEGORY_FIELDS}
    values = _clean_category({**current, **changes}, others, sent=set(changes))
    diff = {f: (current[f], values[f]) for f in CATEGORY_FIELDS if values[f] != current[f]}
    if not diff:
        return current_row
    _recheck_approved(locked, [o.nominal_kopecks for o in others] + [values["nominal_kopecks"]])
    for field, (_, new) in diff.items():
        setattr(current_row, field, new)
    current_row.save(update_fields=list(diff))
    audit.record(
        actor=actor,
        action="financing.nominal_updated",
        obj=locked,
        municipality=locked.municipality,
        details={
            "category_id": current_row.pk,
            "changes": {f: {"old": old, "new": new} for f, (old, new) in diff.items()},
        },
    )
    return current_row


@transaction.atomic
def delete_nominal_category(*, actor, category: NominalCategory) -> None:
    locked = _lock_for_categories(actor, category.period)
    siblings = list(locked.nominal_categories.all())
    row = next((c for c in siblings if c.pk == category.pk), None)
    if row is None:
        raise NotFound("Категория номинала не найдена.")
    _recheck_approved(locked, [c.nominal_kopecks for c in siblings if c.pk != row.pk])
    details = {"category_id": row.pk, **{f: getattr(row, f) for f in CATEGORY_FIELDS}}
    row.delete()
    audit.record(
        actor=actor,
        action="financing.nominal_deleted",
        obj=locked,
        municipality=locked.municipality,
        details=details,
    )


# ------------------------------------------------------------------ production calendar

# The package's calendar covers these years; an override outside them is surely a typo.
CALENDAR_YEARS = YEARS_2000_2100


def _ensure_calendar_keeper(actor, region) -> None:
    if actor is not None and not authz.can(actor, "financing.change_calendar", region):
        raise AccessDenied(
            "Производственный календарь региона ведёт его региональный администратор.",
            fields={"region": "Вы не ведёте календарь этого региона."},
        )


@transaction.atomic
def add_calendar_day(
    *, actor, region: Region, day: Any, is_working: Any, note: str = ""
) -> CalendarDay:
    """Record that `day` is (or is not) a working day in `region`, whatever the package says.

    Refused with field messages: a missing basis (the decree or order), a year outside
    CALENDAR_YEARS, an override that says what the calendar already says (400); a day already
    overridden (409 `day_already_overridden`: remove that override first).
    """
    _ensure_calendar_keeper(actor, region)
    errors: dict[str, list[str]] = {}
    when = _as_date(day)
    note = " ".join(str(note or "").split())
    if when is None:
        errors["day"] = ["Укажите дату в формате ДД.ММ.ГГГГ."]
    elif not CALENDAR_YEARS[0] <= when.year <= CALENDAR_YEARS[1]:
        errors["day"] = [f"Дата должна быть между {CALENDAR_YEARS[0]} и {CALENDAR_YEARS[1]} годом."]
    if not isinstance(is_working, bool):
        errors["is_working"] = ["Укажите, рабочий это день или выходной."]
    if not note:
        errors["note"] = ["Укажите основание: постановление о переносе или приказ."]
    elif len(note) > 200:
        errors["note"] = ["Основание — не длиннее 200 символов."]
    if errors:
        raise ValidationFailed(fields=errors)
    Region.objects.select_for_update().filter(pk=region.pk).first()
    if CalendarDay.objects.filter(region=region, day=when).exists():
        # A well-formed day the stored override refuses: 409, like any row that already exists.
        message = f"На {when:%d.%m.%Y} исправление уже внесено — удалите его, чтобы внести другое."
        raise Conflict(message, code="day_already_overridden", fields={"day": message})
    if library_is_working_day(when) == is_working:
        # What the reference calendar says of the day: no state of this system (400).
        kind = "рабочий" if is_working else "выходной"
        raise ValidationFailed(
            fields={
                "is_working": f"По производственному календарю {when:%d.%m.%Y} и так {kind} день."
            }
        )
    row = CalendarDay.objects.create(
        region=region,
        day=when,
        is_working=is_working,
        note=note,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=clock.now(),
    )
    audit.record(
        actor=actor,
        action="financing.calendar_day_added",
        obj=row,
        details={
            "region": region.code,
            "day": when.isoformat(),
            "is_working": is_working,
            "note": note,
        },
    )
    return row


@transaction.atomic
def remove_calendar_day(*, actor, calendar_day: CalendarDay) -> None:
    """Drop an override: the day is again what the package's calendar says."""
    row = CalendarDay.objects.select_for_update().filter(pk=calendar_day.pk).first()
    if row is None:
        raise NotFound("Исправление календаря не найдено.")
    region = Region.objects.get(pk=row.region_id)
    _ensure_calendar_keeper(actor, region)
    details = {
        "region": region.code,
        "day": row.day.isoformat(),
        "is_working": row.is_working,
        "note": row.note,
    }
    audit.record(actor=actor, action="financing.calendar_day_removed", obj=row, details=details)
    row.delete()
