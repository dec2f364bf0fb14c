"""Month arithmetic, parsing and the two month fields."""

import datetime as dt

import pytest
from django import forms
from rest_framework import serializers

from pfdo.common import months
from pfdo.common.errors import ValidationFailed
from pfdo.common.fields import MonthFormField, MonthSerializerField


def test_month_arithmetic_across_year_ends_and_leap_years():
    assert months.next_month(dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    assert months.previous_month(dt.date(2027, 1, 15)) == dt.date(2026, 12, 1)
    assert months.month_end(dt.date(2028, 2, 3)) == dt.date(2028, 2, 29)
    assert months.days_in_month(dt.date(2027, 2, 1)) == 28
    assert months.add_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert months.add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert months.months_between(dt.date(2026, 11, 30), dt.date(2027, 2, 1)) == [
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 1),
    ]
    assert months.months_touched(dt.date(2026, 9, 1), dt.date(2027, 5, 31)) == 9
    assert months.months_touched(dt.date(2026, 9, 2), dt.date(2026, 9, 1)) == 0


def test_labels_and_texts():
    assert months.month_label(dt.date(2026, 9, 1)) == "сентябрь 2026"
    assert months.format_month(dt.date(2026, 9, 1)) == "2026-09"


@pytest.mark.parametrize("text", ["2026-13", "1999-01", "2026-1", "26-01", "", None, "2026-01-01"])
def test_parse_month_refuses_what_is_not_a_month(text):
    assert months.parse_month(text) is None
    with pytest.raises(ValidationFailed) as exc:
        months.parse_month_or_raise(text, field="period")
    assert "period" in exc.value.fields


def test_form_and_api_fields_share_the_parser():
    field = MonthFormField()
    assert field.clean("2026-10") == dt.date(2026, 10, 1)
    assert field.prepare_value(dt.date(2026, 10, 1)) == "2026-10"
    with pytest.raises(forms.ValidationError) as exc:
        field.clean("10.2026")
    assert exc.value.messages == [months.MONTH_MESSAGE]

    api = MonthSerializerField()
    assert api.to_internal_value("2026-10") == dt.date(2026, 10, 1)
    assert api.to_representation(dt.date(2026, 10, 1)) == "2026-10"
    with pytest.raises(serializers.ValidationError):
        api.to_internal_value(202610)
