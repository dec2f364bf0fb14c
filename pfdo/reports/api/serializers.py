"""The shape of a report answer in the API schema: tables of typed columns and raw rows."""

from __future__ import annotations

from rest_framework import serializers

from pfdo.common.api.query import (
    CODE_MAX_LENGTH,
    CODE_MESSAGE,
    CODE_PATTERN,
    FullMatchValidator,
)


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["text", "int", "money", "percent", "date", "month", "decimal"],
        help_text=(
            "Как читать значения столбца: int — число; money — копейки (целое); percent — "
            "проценты строкой с двумя знаками ('25.00'); decimal — дробное число строкой с "
            "двумя знаками (средняя оценка, '4.50'); date — ГГГГ-ММ-ДД; month — ГГГГ-ММ; "
            "text — строка. null — значение неизвестно (например, доля при нулевом знаменателе)."
        ),
    )


class TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(
        child=serializers.DictField(allow_null=True),
        help_text="Строки: объект по ключам столбцов.",
    )
    note = serializers.CharField(allow_blank=True)


class FiltersSerializer(serializers.Serializer):
    municipality = serializers.CharField(help_text="Код муниципалитета.")
    period = serializers.IntegerField(help_text="id периода финансирования.")
    period_name = serializers.CharField()
    month = serializers.CharField(allow_null=True, help_text="ГГГГ-ММ или null — весь период.")
    direction = serializers.CharField(allow_blank=True)
    provider = serializers.IntegerField(allow_null=True)


class ReportSerializer(serializers.Serializer):
    section = serializers.CharField()
    title = serializers.CharField()
    filters = FiltersSerializer()
    tables = TableSerializer(many=True)


class PopulationSerializer(serializers.Serializer):
    municipality = serializers.CharField(
        source="municipality.code", help_text="Код муниципалитета."
    )
    year = serializers.IntegerField()
    age = serializers.IntegerField(help_text="Полных лет на 1 января года (0–18).")
    children = serializers.IntegerField(help_text="Детей этого возраста.")
    updated_at = serializers.DateTimeField()


class PopulationImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=(
            "Таблица XLSX (имя файла — *.xlsx) до 5 МБ: столбцы «Код муниципалитета», «Год», "
            "«Возраст», «Численность». Другой файл или ошибка в любой строке — 400 с "
            "fields.file, не сохраняется ничего."
        )
    )
    municipality = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=CODE_MAX_LENGTH,
        validators=[FullMatchValidator(CODE_PATTERN, CODE_MESSAGE)],
        trim_whitespace=False,
        help_text="Код муниципалитета (например vorkuta) для файла без столбца «Код "
        "муниципалитета»; такого нет — 404.",
    )


class RegionReportSerializer(serializers.Serializer):
    region = serializers.CharField(help_text="Код региона.")
    on = serializers.DateField(help_text="День, на который посчитаны показатели.")
    tables = TableSerializer(many=True)
