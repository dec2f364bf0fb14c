"""API shapes of programmes, modules, groups and lessons. Output serializers read models;
input serializers only parse — the services validate the domain rules and write."""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pfdo.catalog.models import (
    ASSESSMENT_CRITERIA,
    ASSESSMENT_MAX_SCORE,
    Assessment,
    Group,
    Module,
    Program,
    ScheduleEntry,
)
from pfdo.catalog.services._common import MAX_GROUP_SIZE
from pfdo.catalog.services.groups import START_YEAR
from pfdo.catalog.services.modules import MAX_MODULE_HOURS, MAX_MODULE_MONTHS, MAX_PRICE_KOPECKS
from pfdo.catalog.services.programs import MAX_AGE_MONTHS
from pfdo.common.api.fields import reason_field
from pfdo.common.choices import Direction, StudyForm, TeacherQualification
from pfdo.common.times import DATE_IN_YEARS_PATTERN

# ---------------------------------------------------------------- output


class ScheduleEntrySerializer(serializers.ModelSerializer):
    weekday_display = serializers.CharField(source="get_weekday_display", read_only=True)

    class Meta:
        model = ScheduleEntry
        fields = ["id", "weekday", "weekday_display", "starts_at", "ends_at", "parity"]


class GroupSerializer(serializers.ModelSerializer):
    program = serializers.IntegerField(source="module.program_id", read_only=True)
    free_places = serializers.IntegerField(read_only=True)
    schedule = ScheduleEntrySerializer(many=True, read_only=True)

    class Meta:
        model = Group
        fields = [
            "id",
            "program",
            "module",
            "name",
            "teacher_name",
            "address",
            "room",
            "starts_on",
            "ends_on",
            "capacity",
            "seats_taken",
            "free_places",
            "enrolment_open",
            "schedule",
        ]


class FactorSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField(help_text="Десятичный коэффициент, например 1.800")


class NormativeBreakdownSerializer(serializers.Serializer):
    hours = serializers.IntegerField()
    base_kopecks_per_person_hour = serializers.IntegerField()
    factors = FactorSerializer(many=True)
    total_kopecks = serializers.IntegerField()
    period = serializers.CharField(required=False)


class ModuleSerializer(serializers.ModelSerializer):
    normative_breakdown = serializers.SerializerMethodField(
        help_text="Расчёт нормативной стоимости: часы × базовый норматив × коэффициенты."
    )
    normative_explanation = serializers.CharField(
        read_only=True, help_text="Почему нормативная стоимость не рассчитана (пусто, если есть)."
    )
    certificate_covers_kopecks = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=(
            "Предел по нормативной стоимости: min(цена, нормативная стоимость). Это не обещание "
            "полной оплаты: сертификат оплатит не больше номинала периода и остатка на "
            "сертификате ребёнка, а за оставшиеся месяцы — их долю цены; точные суммы для "
            "ребёнка даёт расчёт условий договора перед записью."
        ),
    )
    copayment_kopecks = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=(
            "Доплата родителей не меньше этой суммы: цена − предел по нормативной стоимости "
            "(при малом остатке на сертификате — больше)."
        ),
    )

    class Meta:
        model = Module
        fields = [
            "id",
            "program",
            "name",
            "position",
            "duration_months",
            "hours",
            "min_children",
            "max_children",
            "teacher_qualification",
            "price_kopecks",
            "normative_cost_kopecks",
            "normative_breakdown",
            "normative_explanation",
            "certificate_covers_kopecks",
            "copayment_kopecks",
        ]

    @extend_schema_field(NormativeBreakdownSerializer(allow_null=True))
    def get_normative_breakdown(self, module: Module):
        if module.normative_cost_kopecks is None:
            return None
        return module.normative_breakdown


class ModuleWithGroupsSerializer(ModuleSerializer):
    groups = GroupSerializer(many=True, read_only=True)

    class Meta(ModuleSerializer.Meta):
        fields = [*ModuleSerializer.Meta.fields, "groups"]


class ProgramSerializer(serializers.ModelSerializer):
    provider_name = serializers.CharField(source="provider.short_name", read_only=True)
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    direction_display = serializers.CharField(source="get_direction_display", read_only=True)
    photo_url = serializers.SerializerMethodField(help_text="Адрес фото программы или null.")

    class Meta:
        model = Program
        fields = [
            "id",
            "provider",
            "provider_name",
            "municipality",
            "name",
            "direction",
            "direction_display",
            "kind",
            "level",
            "form",
            "age_from_months",
            "age_to_months",
            "address",
            "district",
            "certification_status",
            "budget_registry",
            "paid_only",
            "is_published",
            "enrolment_open",
            "published_at",
            "archived_at",
            "rating_avg",
            "rating_count",
            "photo_url",
        ]
        extra_kwargs = {
            "rating_avg": {
                "help_text": "Средняя оценка родителей программы, 1–5, два знака; null, пока "
                "оценок меньше трёх (тогда показывается только их число, rating_count)."
            },
            "rating_count": {"help_text": "Сколько раз родители оценили программу."},
        }

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_photo_url(self, program: Program) -> str | None:
        if not program.photo:
            return None
        request = self.context.get("request")
        url = program.photo.url
        return request.build_absolute_uri(url) if request is not None else url


class ProgramDetailSerializer(ProgramSerializer):
    modules = ModuleWithGroupsSerializer(many=True, read_only=True)
    publication_problems = serializers.SerializerMethodField(
        help_text="Чего не хватает для публикации (только для тех, кто ведёт программу)."
    )

    class Meta(ProgramSerializer.Meta):
        fields = [
            *ProgramSerializer.Meta.fields,
            "description",
            "goals",
            "expected_results",
            "medical_certificate_required",
            "for_disabled",
            "network_form",
            "certification_reason",
            "submission_round",
            "modules",
            "publication_problems",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_publication_problems(self, program: Program) -> list[str]:
        request = self.context.get("request")
        problems = self.context.get("publication_problems")
        if problems is None or request is None:
            return []
        return problems(request.user, program)


class AssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assessment
        fields = [
            "id",
            "program",
            "expert",
            "round",
            "scores",
            "total_score",
            "conclusion",
            "comment",
            "created_at",
        ]


# ---------------------------------------------------------------- input


def _choice(choices, **kwargs):
    return serializers.ChoiceField(choices=choices, **kwargs)


def _bounded(low: int, high: int, below: str, above: str, **kwargs) -> serializers.IntegerField:
    """An integer within the bounds the service accepts, stated in the schema, refused with
    the service's own messages."""
    return serializers.IntegerField(
        min_value=low,
        max_value=high,
        error_messages={"min_value": below, "max_value": above},
        **kwargs,
    )


def _age(**kwargs) -> serializers.IntegerField:
    message = "Возраст указывается от 0 до 18 лет включительно."
    return _bounded(0, MAX_AGE_MONTHS, message, message, required=False, allow_null=True, **kwargs)


def _months(**kwargs) -> serializers.IntegerField:
    return _bounded(
        1,
        MAX_MODULE_MONTHS,
        "Продолжительность — не меньше одного месяца.",
        f"Продолжительность — не больше {MAX_MODULE_MONTHS} месяцев.",
        **kwargs,
    )


def _hours(**kwargs) -> serializers.IntegerField:
    return _bounded(
        1,
        MAX_MODULE_HOURS,
        "Число часов — не меньше одного.",
        f"Число часов — не больше {MAX_MODULE_HOURS}.",
        **kwargs,
    )


def _children(below: str, **kwargs) -> serializers.IntegerField:
    return _bounded(
        1, MAX_GROUP_SIZE, below, f"Не больше {MAX_GROUP_SIZE} детей в группе.", **kwargs
    )


def _capacity(**kwargs) -> serializers.IntegerField:
    return _bounded(
        1,
        MAX_GROUP_SIZE,
        "В группе должно быть хотя бы одно место.",
        f"Не больше {MAX_GROUP_SIZE} мест в группе.",
        **kwargs,
    )


class ProgramWriteSerializer(serializers.Serializer):
    provider = serializers.IntegerField(
        required=False,
        help_text="Поставщик; можно не указывать, если вы работаете у одного поставщика.",
    )
    name = serializers.CharField(max_length=300)
    direction = _choice(Direction.choices)
    kind = _choice(Program.Kind.choices, required=False)
    level = _choice(Program.Level.choices, required=False)
    form = _choice(StudyForm.choices, required=False)
    age_from_months = _age()
    age_to_months = _age(help_text="Включительно: «до 14 лет» — это 179 месяцев.")
    description = serializers.CharField(required=False, allow_blank=True)
    goals = serializers.CharField(required=False, allow_blank=True)
    expected_results = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=500)
    district = serializers.CharField(required=False, allow_blank=True, max_length=200)
    medical_certificate_required = serializers.BooleanField(required=False)
    for_disabled = serializers.BooleanField(required=False)
    network_form = serializers.BooleanField(required=False)


class ProgramUpdateSerializer(ProgramWriteSerializer):
    provider = None
    name = serializers.CharField(max_length=300, required=False)
    direction = _choice(Direction.choices, required=False)


class ModuleWriteSerializer(serializers.Serializer):
    program = serializers.IntegerField()
    name = serializers.CharField(max_length=300)
    position = serializers.IntegerField(required=False, min_value=1, max_value=32767)
    duration_months = _months()
    hours = _hours()
    min_children = _children("В группе должен быть хотя бы один ребёнок.", required=False)
    max_children = _children("Укажите наибольшее число детей в группе.")
    teacher_qualification = _choice(TeacherQualification.choices, required=False)
    price_kopecks = _bounded(
        0,
        MAX_PRICE_KOPECKS,
        "Цена не может быть отрицательной.",
        "Слишком большая цена: проверьте сумму.",
        required=False,
        allow_null=True,
        help_text="Цена модуля на ребёнка, целые копейки.",
    )


class ModuleUpdateSerializer(ModuleWriteSerializer):
    program = None
    name = serializers.CharField(max_length=300, required=False)
    duration_months = _months(required=False)
    hours = _hours(required=False)
    max_children = _children("Укажите наибольшее число детей в группе.", required=False)


class ScheduleEntryWriteSerializer(serializers.Serializer):
    weekday = _bounded(
        min(ScheduleEntry.Weekday.values),
        max(ScheduleEntry.Weekday.values),
        "Выберите день недели.",
        "Выберите день недели.",
        help_text="1 — понедельник … 7 — воскресенье",
    )
    starts_at = serializers.TimeField()
    ends_at = serializers.TimeField()
    parity = _choice(ScheduleEntry.Parity.choices, required=False)


class GroupWriteSerializer(serializers.Serializer):
    module = serializers.IntegerField()
    name = serializers.CharField(max_length=200)
    teacher_name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    address = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Пусто — адрес программы."
    )
    room = serializers.CharField(required=False, allow_blank=True, max_length=100)
    starts_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="ГГГГ-ММ-ДД, год от 2000 до 2100.",
        # The pattern of the date as sent states the years (the service checks them again).
        validators=[RegexValidator(DATE_IN_YEARS_PATTERN, START_YEAR)],
    )
    ends_on = serializers.DateField(required=False, allow_null=True)
    capacity = _capacity(help_text="Мест в группе; при изменении — не меньше уже занятых.")
    enrolment_open = serializers.BooleanField(required=False)
    schedule = ScheduleEntryWriteSerializer(
        many=True, required=False, help_text="Занятия группы; при изменении заменяют прежние."
    )


class GroupUpdateSerializer(GroupWriteSerializer):
    module = None
    name = serializers.CharField(max_length=200, required=False)
    capacity = _capacity(
        required=False, help_text="Мест в группе; при изменении — не меньше уже занятых."
    )


class AssessSerializer(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=-32768, max_value=32767),
        help_text="Баллы 0–{} по критериям: {}.".format(
            ASSESSMENT_MAX_SCORE,
            ", ".join(f"{code} ({label})" for code, label in ASSESSMENT_CRITERIA),
        ),
    )
    conclusion = _choice(Assessment.Conclusion.choices)
    comment = serializers.CharField(required=False, allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True)


class RejectSerializer(serializers.Serializer):
    reason = reason_field(
        required=True, help_text="Причина отказа (обязательна).", missing="Укажите причину отказа."
    )


class RegistrySerializer(serializers.Serializer):
    budget_registry = _choice(Program.BudgetRegistry.choices, required=False)
    paid_only = serializers.BooleanField(required=False)


class PhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField(help_text="JPEG, PNG или WebP, до 5 МБ.")
