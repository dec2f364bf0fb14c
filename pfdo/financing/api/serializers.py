"""API shapes of financing periods: money in integer kopecks, coefficients as decimal strings."""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pfdo.common.api.fields import PatternField, SlugRelatedField
from pfdo.common.api.serializers import StrictSerializer
from pfdo.common.times import DATE_IN_YEARS_PATTERN
from pfdo.financing import selectors, services
from pfdo.financing.models import CalendarDay, FinancingPeriod, NominalCategory
from pfdo.territory.models import Municipality, Region


class NominalCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = NominalCategory
        fields = [
            "id",
            "name",
            "age_from_months",
            "age_to_months",
            "disability_only",
            "nominal_kopecks",
        ]
        read_only_fields = fields


class FinancingPeriodSerializer(serializers.ModelSerializer):
    """A period as read: every setting, its nominal categories and the summary."""

    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_locked = serializers.BooleanField(
        read_only=True,
        help_text="По периоду заключены договоры: денежные поля и номиналы больше не меняются.",
    )
    nominal_categories = serializers.SerializerMethodField()
    largest_nominal_kopecks = serializers.SerializerMethodField(
        help_text="Наибольший номинал среди категорий, коп."
    )
    largest_promise_kopecks = serializers.SerializerMethodField(
        help_text="Квота × наибольший номинал, коп."
    )

    class Meta:
        model = FinancingPeriod
        fields = [
            "id",
            "municipality",
            "status",
            "status_display",
            "is_locked",
            "commitments_started_at",
            *services.EDITABLE_FIELDS,
            "nominal_categories",
            "largest_nominal_kopecks",
            "largest_promise_kopecks",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(NominalCategorySerializer(many=True))
    def get_nominal_categories(self, period):
        return NominalCategorySerializer(selectors.categories_of(period), many=True).data

    def get_largest_nominal_kopecks(self, period) -> int:
        return selectors.largest_nominal_kopecks(period)

    def get_largest_promise_kopecks(self, period) -> int:
        return selectors.largest_promise_kopecks(period)


# A coefficient as the service takes it (services._clean_period): more than 0, less than 1000,
# at most three decimals; sent as a string ("1.600").
COEFFICIENT_PATTERN = (
    r"^([1-9][0-9]{0,2}(\.[0-9]{1,3})?|0\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$"
)
COEFFICIENT_MESSAGE = "Коэффициент — больше 0 и меньше 1000, не больше трёх знаков после точки."


def _period_fields(*, required: bool) -> dict[str, serializers.Field]:
    """The editable settings with the bounds the service checks, so the schema states them."""

    def count(name: str, **kwargs) -> serializers.IntegerField:
        low, high, message = services.COUNT_BOUNDS[name]
        message = message.replace("%", "%%")  # Django formats a validator's message with %
        return serializers.IntegerField(
            required=False,
            min_value=low,
            max_value=high,
            error_messages={"min_value": message, "max_value": message},
            **kwargs,
        )

    def kopecks(help_text: str) -> serializers.IntegerField:
        return serializers.IntegerField(
            required=False, min_value=0, max_value=services.MAX_KOPECKS, help_text=help_text
        )

    out: dict[str, serializers.Field] = {
        "name": serializers.CharField(required=required, max_length=200),
        "starts_on": serializers.DateField(required=required),
        "ends_on": serializers.DateField(
            required=required, help_text="Позже starts_on (иначе 400 с fields.ends_on)."
        ),
        "certificate_quota": count("certificate_quota"),
        "budget_kopecks": kopecks("Копейки."),
        "scale_nominal_by_months": serializers.BooleanField(required=False),
        "accounting_program_limit": count("accounting_program_limit"),
        "billing_basis": serializers.ChoiceField(
            choices=FinancingPeriod.BillingBasis.choices, required=False
        ),
        "boundary_month_rule": serializers.ChoiceField(
            choices=FinancingPeriod.BoundaryMonthRule.choices, required=False
        ),
        "advance_share_percent": count("advance_share_percent"),
        "advance_from_working_day": count("advance_from_working_day"),
        "payment_term_working_days": count("payment_term_working_days"),
        "december_invoice_in_december": serializers.BooleanField(required=False),
        "decision_days": count("decision_days"),
        "offer_days": count("offer_days"),
        "freeze_days": count("freeze_days"),
    }
    for name in services.BASE_COST_FIELDS:
        out[name] = kopecks("Копейки за чел.-час.")
    for name in services.COEFFICIENT_FIELDS:
        out[name] = PatternField(
            pattern=COEFFICIENT_PATTERN,
            message=COEFFICIENT_MESSAGE,
            max_length=7,
            required=False,
            help_text='Строка, например "1.600".',
        )
    return out


class FinancingPeriodUpdateSerializer(StrictSerializer):
    """PATCH: any editable setting; the rules of the period are checked by the service."""

    def get_fields(self):
        return _period_fields(required=False)


class FinancingPeriodCreateSerializer(StrictSerializer):
    municipality = SlugRelatedField(
        slug_field="code", queryset=Municipality.objects.all(), help_text="Код муниципалитета."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields.update(_period_fields(required=True))
        return fields


def _age_months(help_text: str) -> serializers.IntegerField:
    """An age bound with the service's bounds (services._clean_category), so the schema says."""
    message = services.AGE_MONTHS_MESSAGE
    return serializers.IntegerField(
        min_value=0,
        max_value=services.MAX_AGE_MONTHS,
        error_messages={"min_value": message, "max_value": message},
        help_text=help_text,
    )


class NominalCategoryWriteSerializer(StrictSerializer):
    """A category as sent. Its name and ages are checked against the period's other categories
    by the service: a name already there or ages overlapping another category of the same kind
    is 409 `category_conflict` (so is an upper bound sent alone that is not above the stored
    lower one, or the reverse); both bounds sent with the upper not above the lower is 400."""

    name = serializers.CharField(max_length=200)
    age_from_months = _age_months("Нижняя граница возраста, мес. (включительно).")
    age_to_months = _age_months("Верхняя граница возраста, мес.: больше нижней.")
    disability_only = serializers.BooleanField(required=False, default=False)
    nominal_kopecks = serializers.IntegerField(
        min_value=0, max_value=services.MAX_KOPECKS, help_text="Копейки."
    )


# ------------------------------------------------------------------ production calendar


class CalendarDaySerializer(serializers.ModelSerializer):
    """An override of the production calendar in a region."""

    region = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = CalendarDay
        fields = ["id", "region", "day", "is_working", "note", "created_at"]
        read_only_fields = fields


# The years of services.CALENDAR_YEARS (2000–2100) as the start of an ISO date.
CALENDAR_DAY_PATTERN = DATE_IN_YEARS_PATTERN
CALENDAR_DAY_MESSAGE = (
    f"Дата должна быть между {services.CALENDAR_YEARS[0]} и {services.CALENDAR_YEARS[1]} годом."
)
NOTE_MISSING = "Укажите основание: постановление о переносе или приказ."


class CalendarDayWriteSerializer(StrictSerializer):
    region = SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), help_text="Код региона."
    )
    day = serializers.DateField(
        help_text=f"ГГГГ-ММ-ДД, год от {services.CALENDAR_YEARS[0]} до {services.CALENDAR_YEARS[1]}.",
        # The pattern of the date as sent states the years; the validator reads the parsed
        # date as ISO text, which is the same for every date the pattern admits.
        validators=[RegexValidator(CALENDAR_DAY_PATTERN, CALENDAR_DAY_MESSAGE)],
    )
    is_working = serializers.BooleanField(
        help_text="true — рабочий день (перенос на выходной), false — выходной."
    )
    note = serializers.CharField(
        max_length=200,
        help_text="Основание: постановление или приказ.",
        error_messages={"blank": NOTE_MISSING, "required": NOTE_MISSING, "null": NOTE_MISSING},
    )
