"""The month as a form field (pages) and a serializer field (API): one parser, one message."""

from __future__ import annotations

import datetime as dt

from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pfdo.common.months import MONTH_MESSAGE, MONTH_SCHEMA, format_month, parse_month


class MonthFormField(forms.CharField):
    """A month typed as ГГГГ-ММ (what `<input type="month">` sends), cleaned to its 1st."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "ГГГГ-ММ"})
    default_error_messages = {"invalid": MONTH_MESSAGE}

    def to_python(self, value):
        if isinstance(value, dt.date):
            return value.replace(day=1)
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month

    def prepare_value(self, value):
        if isinstance(value, dt.date):
            return format_month(value)
        return value


@extend_schema_field(MONTH_SCHEMA)
class MonthSerializerField(serializers.Field):
    """`YYYY-MM` in and out; the internal value is the month's first day."""

    default_error_messages = {"invalid": MONTH_MESSAGE}

    def to_internal_value(self, data):
        month = parse_month(data if isinstance(data, str) else None)
        if month is None:
            self.fail("invalid")
        return month

    def to_representation(self, value):
        return format_month(value)
