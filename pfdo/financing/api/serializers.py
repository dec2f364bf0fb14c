"""API shapes of financing periods: money in integer kopecks, coefficients as decimal strings."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pfdo.common.api.fields import SlugRelatedField
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


class _StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so `{"status": "approved"}` is not silently ignored."""

    def to_internal_value(self, data):
        errors: dict = {}
        if isinstance(data, dict):
            for name in sorted(set(data) - set(self.fields)):
                errors[name] = ["Это поле нельзя передать в этом запросе."]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors = {**errors, **exc.detail}
            value = None
        if errors:
            raise serializers.ValidationError(errors)
        return value


def _period_fields(*, required: bool) -> dict[str, serializers.Field]:
    out: dict[str, serializers.Field] = {
        "name": serializers.CharField(required=required, max_length=200),
        "starts_on": serializers.DateField(required=required),
        "ends_on": serializers.DateField(required=required),
        "certificate_quota": serializers.IntegerField(required=False),
        "budget_kopecks": serializers.IntegerField(required=False, help_text="Копейки."),
        "scale_nominal_by_months": serializers.BooleanField(required=False),
        "accounting_program_limit": serializers.IntegerField(required=False),
        "billing_basis": serializers.ChoiceField(
            choices=FinancingPeriod.BillingBasis.choices, required=False
        ),
        "boundary_month_rule": serializers.ChoiceField(
            choices=FinancingPeriod.BoundaryMonthRule.choices, required=False
        ),
        "advance_share_percent": serializers.IntegerField(required=False),
        "advance_from_working_day": serializers.IntegerField(required=False),
        "payment_term_working_days": serializers.IntegerField(required=False),
        "december_invoice_in_december": serializers.BooleanField(required=False),
        "decision_days": serializers.IntegerField(required=False),
        "offer_days": serializers.IntegerField(required=False),
        "freeze_days": serializers.IntegerField(required=False),
    }
    for name in services.BASE_COST_FIELDS:
        out[name] = serializers.IntegerField(required=False, help_text="Копейки за чел.-час.")
    for name in services.COEFFICIENT_FIELDS:
        out[name] = serializers.DecimalField(
            max_digits=6, decimal_places=3, required=False, help_text='Строка, например "1.600".'
        )
    return out


class FinancingPeriodUpdateSerializer(_StrictSerializer):
    """PATCH: any editable setting; the rules of the period are checked by the service."""

    def get_fields(self):
        return _period_fields(required=False)


class FinancingPeriodCreateSerializer(_StrictSerializer):
    municipality = SlugRelatedField(
        slug_field="code", queryset=Municipality.objects.all(), help_text="Код муниципалитета."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields.update(_period_fields(required=True))
        return fields


class NominalCategoryWriteSerializer(_StrictSerializer):
    name = serializers.CharField(max_length=200)
    age_from_months = serializers.IntegerField()
    age_to_months = serializers.IntegerField()
    disability_only = serializers.BooleanField(required=False, default=False)
    nominal_kopecks = serializers.IntegerField(help_text="Копейки.")


# ------------------------------------------------------------------ production calendar


class CalendarDaySerializer(serializers.ModelSerializer):
    """An override of the production calendar in a region."""

    region = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = CalendarDay
        fields = ["id", "region", "day", "is_working", "note", "created_at"]
        read_only_fields = fields


class CalendarDayWriteSerializer(_StrictSerializer):
    region = SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), help_text="Код региона."
    )
    day = serializers.DateField(help_text="ГГГГ-ММ-ДД.")
    is_working = serializers.BooleanField(
        help_text="true — рабочий день (перенос на выходной), false — выходной."
    )
    note = serializers.CharField(
        max_length=200, allow_blank=True, help_text="Основание: постановление или приказ."
    )
