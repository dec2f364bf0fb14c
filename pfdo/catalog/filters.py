"""Filters of the catalogue: one FilterSet per resource, for the pages and the API.

Conditions on modules, groups and lessons are `EXISTS` subqueries, never joins: a programme
with three matching groups is one row, so page counts stay right and no DISTINCT is needed.
"""

from __future__ import annotations

import django_filters
from django.db.models import Case, Exists, F, OuterRef, Q, When
from drf_spectacular.utils import extend_schema_field

from pfdo.catalog import search, selectors
from pfdo.catalog.models import RATING_MIN_COUNT, Group, Module, Program, ScheduleEntry
from pfdo.common.choices import Direction
from pfdo.common.filters import (
    BooleanFilter,
    CharFilter,
    IdFilter,
    IntegerFilter,
    TimeFilter,
)

MAX_AGE_YEARS = 21

PRICE_CHOICES = [
    ("free", "бесплатно"),
    ("covered", "сертификат может оплатить всю цену"),
    ("copay", "с доплатой родителей"),
]
REGISTRY_CHOICES = [
    ("certified", "сертифицированные (оплата сертификатом финансирования)"),
    ("significant", "значимые (по сертификату учёта)"),
    ("preprofessional", "предпрофессиональные (по сертификату учёта)"),
    ("other", "иные бюджетные (по сертификату учёта)"),
    ("paid_only", "только платные"),
]
ORDERING_CHOICES = [
    ("name", "по названию"),
    ("-published_at", "сначала новые"),
    ("price", "сначала дешёвые"),
    ("-rating_avg", "по рейтингу"),
]


def _choice_message(what: str, choices) -> str:
    allowed = ", ".join(str(value) for value, _ in choices)
    return f"Неизвестное значение «%(value)s» для поля «{what}». Допустимые значения: {allowed}."


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_AGE_YEARS})
class AgeFilter(IntegerFilter):
    pass


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 7})
class WeekdayFilter(django_filters.TypedChoiceFilter):
    pass


def _age_field_kwargs() -> dict:
    message = f"Возраст ребёнка — целое число полных лет от 0 до {MAX_AGE_YEARS}."
    return {
        "min_value": 0,
        "max_value": MAX_AGE_YEARS,
        "error_messages": {"invalid": message, "min_value": message, "max_value": message},
    }


def _weekday_kwargs() -> dict:
    return {
        "choices": ScheduleEntry.Weekday.choices,
        "coerce": int,
        "error_messages": {
            "invalid_choice": "День недели — число от 1 (понедельник) до 7 (воскресенье)."
        },
    }


def _text_kwargs(what: str) -> dict:
    return {
        "max_length": 200,
        "error_messages": {"max_length": f"{what} — не длиннее 200 символов."},
    }


# --- conditions, reusable by both FilterSets -------------------------------------------------


def age_covers(years: int, prefix: str = "") -> Q:
    """The programme's age range (months) meets a child of `years` full years (12y..12y+11m)."""
    low, high = years * 12, years * 12 + 11
    return (
        Q(**{f"{prefix}age_from_months__isnull": True})
        | Q(**{f"{prefix}age_from_months__lte": high})
    ) & (Q(**{f"{prefix}age_to_months__isnull": True}) | Q(**{f"{prefix}age_to_months__gte": low}))


def lesson_q(*, weekday=None, time_from=None, time_to=None, prefix: str = "") -> Q:
    """One lesson (schedule entry) on that day and inside the window. An inverted window
    (time_to not after time_from) holds no lesson: the list is empty, not a 400 — both values
    are well-formed, and the rule of the API answers a filter matching nothing with an empty
    page."""
    q = Q()
    if weekday:
        q &= Q(**{f"{prefix}weekday": weekday})
    if time_from:
        q &= Q(**{f"{prefix}starts_at__gte": time_from})
    if time_to:
        q &= Q(**{f"{prefix}ends_at__lte": time_to})
    return q


def open_places_q(prefix: str = "") -> Q:
    """A group taking applications and not full."""
    return Q(
        **{f"{prefix}enrolment_open": True, f"{prefix}capacity__gt": F(f"{prefix}seats_taken")}
    )


def group_exists(
    *, outer: str, free_places: bool, weekday=None, time_from=None, time_to=None
) -> Exists | None:
    """EXISTS a group (related to the outer row through `outer`) meeting the conditions.

    Lesson and place conditions hold for the same group: "a free place on Tuesday evening".
    """
    lesson = lesson_q(weekday=weekday, time_from=time_from, time_to=time_to)
    if lesson:
        group_cond = open_places_q("group__") if free_places else Q()
        return Exists(
            ScheduleEntry.objects.filter(lesson, group_cond, **{f"group__{outer}": OuterRef("pk")})
        )
    if free_places:
        return Exists(Group.objects.filter(open_places_q(), **{outer: OuterRef("pk")}))
    return None


def covered_q() -> Q:
    """A module a certificate with its whole nominal left pays in full: the price within a
    known normative cost and within the nominal."""
    return Q(price_kopecks__isnull=False, normative_cost_kopecks__isnull=False) & Q(
        price_kopecks__lte=selectors.certificate_part()
    )


def copay_q() -> Q:
    """A module dearer than what a certificate pays at most (normative cost or nominal)."""
    return Q(price_kopecks__gt=selectors.certificate_part())


PRICE_CONDITIONS = {
    "free": (lambda: Q(price_kopecks=0), False),
    "covered": (covered_q, True),
    "copay": (copay_q, True),
}

REGISTRY_CONDITIONS = {
    "certified": Q(certification_status=Program.Certification.CERTIFIED),
    "significant": Q(budget_registry=Program.BudgetRegistry.SIGNIFICANT),
    "preprofessional": Q(budget_registry=Program.BudgetRegistry.PREPROFESSIONAL),
    "other": Q(budget_registry=Program.BudgetRegistry.OTHER),
    "paid_only": Q(paid_only=True),
}


# --- FilterSets ------------------------------------------------------------------------------


class ProgramFilter(django_filters.FilterSet):
    """Filters of /catalog/ and /api/v1/programs/ (the same parameters in both)."""

    q = CharFilter(
        label="Поиск",
        method="_applied_later",
        help_text="Слова из названия или описания программы.",
        **_text_kwargs("Поисковый запрос"),
    )
    direction = django_filters.ChoiceFilter(
        label="Направленность",
        choices=Direction.choices,
        error_messages={"invalid_choice": _choice_message("направленность", Direction.choices)},
    )
    age = AgeFilter(
        label="Возраст ребёнка, полных лет",
        method="filter_age",
        help_text="Программа принимает ребёнка этого возраста.",
        **_age_field_kwargs(),
    )
    provider = IdFilter(label="Поставщик", field_name="provider_id", what="Поставщик")
    municipality = CharFilter(
        label="Муниципалитет", field_name="municipality__code", help_text="Код, например vorkuta."
    )
    district = CharFilter(
        label="Район",
        method="filter_district",
        help_text="Часть названия района.",
        **_text_kwargs("Район"),
    )
    address = CharFilter(
        label="Район или адрес",
        method="filter_address",
        **_text_kwargs("Адрес"),
        help_text="Часть названия района или адреса программы либо её групп.",
    )
    weekday = WeekdayFilter(label="День недели", method="_applied_later", **_weekday_kwargs())
    time_from = TimeFilter(label="Занятие начинается не раньше", method="_applied_later")
    time_to = TimeFilter(label="Занятие заканчивается не позже", method="_applied_later")
    free_places = BooleanFilter(
        label="Есть свободные места",
        method="_applied_later",
        help_text="true: хотя бы одна группа с открытой записью и свободными местами.",
    )
    price = django_filters.ChoiceFilter(
        label="Цена",
        choices=PRICE_CHOICES,
        method="filter_price",
        error_messages={"invalid_choice": _choice_message("цена", PRICE_CHOICES)},
    )
    registry = django_filters.ChoiceFilter(
        label="Реестр",
        choices=REGISTRY_CHOICES,
        method="filter_registry",
        error_messages={"invalid_choice": _choice_message("реестр", REGISTRY_CHOICES)},
    )
    ordering = django_filters.ChoiceFilter(
        label="Сортировка",
        choices=ORDERING_CHOICES,
        method="_applied_later",
        error_messages={"invalid_choice": _choice_message("сортировка", ORDERING_CHOICES)},
    )

    class Meta:
        model = Program
        fields: list[str] = []

    def _applied_later(self, queryset, name, value):
        """Applied together in filter_queryset (they depend on each other)."""
        return queryset

    def filter_age(self, queryset, name, value):
        return queryset.filter(age_covers(value))

    def filter_district(self, queryset, name, value):
        return queryset.filter(search.contains_text(queryset, "district", value))

    def filter_address(self, queryset, name, value):
        groups = Group.objects.filter(
            search.contains_text(queryset, "address", value), module__program=OuterRef("pk")
        )
        return queryset.filter(
            search.contains_text(queryset, "district", value)
            | search.contains_text(queryset, "address", value)
            | Exists(groups)
        )

    def filter_price(self, queryset, name, value):
        condition, certified_only = PRICE_CONDITIONS[value]
        # Built per request: the nominal is the one of the period running today.
        queryset = queryset.filter(
            Exists(Module.objects.filter(condition(), program=OuterRef("pk")))
        )
        if certified_only:
            # Only a certified programme is paid by a financing certificate at all.
            queryset = queryset.filter(certification_status=Program.Certification.CERTIFIED)
        return queryset

    def filter_registry(self, queryset, name, value):
        return queryset.filter(REGISTRY_CONDITIONS[value])

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        free_places = bool(data.get("free_places"))
        groups = group_exists(
            outer="module__program",
            free_places=free_places,
            weekday=data.get("weekday"),
            time_from=data.get("time_from"),
            time_to=data.get("time_to"),
        )
        if groups is not None:
            queryset = queryset.filter(groups)
        if free_places:
            queryset = queryset.filter(enrolment_open=True)
        text = data.get("q") or ""
        ordering = data.get("ordering") or ""
        if text:
            queryset = search.search_programs(queryset, text, rank=not ordering)
        return self._order(queryset, ordering, ranked="search_rank" in queryset.query.annotations)

    @staticmethod
    def _order(queryset, ordering: str, *, ranked: bool):
        if ordering == "name":
            return queryset.order_by("name", "id")
        if ordering == "-published_at":
            return queryset.order_by(F("published_at").desc(nulls_last=True), "-id")
        if ordering == "price":
            queryset = selectors.with_min_price(queryset)
            return queryset.order_by(F("min_price_kopecks").asc(nulls_last=True), "name", "id")
        if ordering == "-rating_avg":
            # Averages only from RATING_MIN_COUNT ratings on (the ratings app stores none
            # below): those first by average, then the rest by how many ratings they have.
            shown = Case(When(rating_count__gte=RATING_MIN_COUNT, then=F("rating_avg")))
            return queryset.order_by(shown.desc(nulls_last=True), "-rating_count", "name", "id")
        if ranked:
            return queryset.order_by("-search_rank", "name", "id")
        return queryset


class GroupFilter(django_filters.FilterSet):
    """Filters of /api/v1/groups/."""

    program = IdFilter(label="Программа", field_name="module__program_id", what="Программа")
    municipality = CharFilter(
        label="Муниципалитет",
        field_name="module__program__municipality__code",
        help_text="Код, например vorkuta.",
    )
    age = AgeFilter(label="Возраст ребёнка, полных лет", method="filter_age", **_age_field_kwargs())
    weekday = WeekdayFilter(label="День недели", method="_applied_later", **_weekday_kwargs())
    time_from = TimeFilter(label="Занятие начинается не раньше", method="_applied_later")
    time_to = TimeFilter(label="Занятие заканчивается не позже", method="_applied_later")
    free_places = BooleanFilter(label="Есть свободные места", method="_applied_later")

    class Meta:
        model = Group
        fields: list[str] = []

    def _applied_later(self, queryset, name, value):
        return queryset

    def filter_age(self, queryset, name, value):
        return queryset.filter(age_covers(value, "module__program__"))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if data.get("free_places"):
            queryset = queryset.filter(open_places_q())
        lesson = lesson_q(
            weekday=data.get("weekday"),
            time_from=data.get("time_from"),
            time_to=data.get("time_to"),
        )
        if lesson:
            queryset = queryset.filter(
                Exists(ScheduleEntry.objects.filter(lesson, group=OuterRef("pk")))
            )
        return queryset


class ManagedProgramFilter(django_filters.FilterSet):
    """Filters of the operator's list of programmes (/cabinet/operator/programs/)."""

    status = django_filters.ChoiceFilter(
        label="Статус сертификации",
        field_name="certification_status",
        choices=Program.Certification.choices,
    )

    class Meta:
        model = Program
        fields: list[str] = []
