"""Filter pieces shared by the apps' FilterSets."""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import extend_schema_field

from pfdo.common.ids import MAX_ID
from pfdo.common.times import MOMENT_PATTERN, TIME_PATTERN
from pfdo.common.validators import TEXT_PATTERN

# What MOMENT_PATTERN cannot say (pfdo.common.times).
NO_SUCH_DAY = "Такого дня нет в календаре."
OUT_OF_RANGE = "Дата вне допустимого диапазона."


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment converted to UTC; a moment UTC cannot hold is a field error.

    Exactly MOMENT_PATTERN: the pattern is checked first, so the server takes what the schema
    allows and nothing else (Python's parser alone would also take a bare date, a space for
    the "T", the basic format 20260101T1000 or non-ASCII digits).
    """

    default_error_messages = {
        "invalid": "Момент — в формате ГГГГ-ММ-ДДTЧЧ:ММ[:СС][±ЧЧ:ММ|Z], например "
        "2026-09-01T08:00 или 2026-09-01T05:00:00Z."
    }

    def to_python(self, value):
        if isinstance(value, str) and value:
            if not re.fullmatch(MOMENT_PATTERN, value):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            try:
                dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as exc:
                raise ValidationError(NO_SUCH_DAY, code="invalid") from exc
        value = super().to_python(value)
        if value is None or value.tzinfo is None:
            return value
        try:
            return value.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValidationError(OUT_OF_RANGE, code="invalid") from exc


@extend_schema_field({"type": "string", "pattern": MOMENT_PATTERN})
class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 moment, compared in UTC.

    Python accepts offsets up to ±23:59 but PostgreSQL only ±15:59, so a value such as
    2026-01-01T00:00+23:42 is converted to UTC before it reaches the database, and
    0001-01-01T00:00+05:00 (before year 1 in UTC) is refused.
    """

    field_class = UtcIsoDateTimeField


# A boolean query value as the schema's `boolean` is read on the wire: true/false, or 1/0 (any
# case). Anything else ("maybe", "null", "yes") is a field error, never silently ignored.
TRUE_VALUES = {"true", "1"}
FALSE_VALUES = {"false", "0"}


class StrictBooleanField(forms.Field):
    """true/false (also 1/0); empty is "no filter"; anything else is an error."""

    default_error_messages = {"invalid": "Укажите true или false."}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    """The one boolean filter of every FilterSet (the API and the pages)."""

    field_class = StrictBooleanField


class LocalTimeField(forms.TimeField):
    """HH:MM or HH:MM:SS(.ffffff), local time without an offset — exactly TIME_PATTERN.

    strptime alone would also take "9:5" or " 16:30"; the pattern is checked first so the
    server takes what the schema allows and nothing else ("16:30:00Z" is refused).
    """

    input_formats = ["%H:%M", "%H:%M:%S", "%H:%M:%S.%f"]
    default_error_messages = {
        "invalid": "Время — в формате ЧЧ:ММ или ЧЧ:ММ:СС, например 16:30, без часового пояса."
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str) and not re.fullmatch(TIME_PATTERN, value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "string", "pattern": TIME_PATTERN})
class TimeFilter(django_filters.TimeFilter):
    """A time of day (rule 2 of issue 18): a string with TIME_PATTERN, never format: time."""

    field_class = LocalTimeField


class IsoDateField(forms.DateField):
    """YYYY-MM-DD only (the schema's `format: date`), not the locale's 25.12.2026 or 2026-1-5."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": "Дата — в формате ГГГГ-ММ-ДД."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class DateFilter(django_filters.DateFilter):
    """A calendar day, YYYY-MM-DD: the one date filter of every FilterSet."""

    field_class = IsoDateField


class StrictIntegerField(forms.IntegerField):
    """An integer as the schema's `integer` is written: ASCII digits with an optional minus.
    Django's own also takes " 5", "5.0", "+5" and other scripts' digits, which the schema
    calls no integer."""

    def to_python(self, value):
        if isinstance(value, str) and value and not re.fullmatch(r"-?[0-9]+", value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "integer"})
class IntegerFilter(django_filters.NumberFilter):
    """A whole number (StrictIntegerField)."""

    field_class = StrictIntegerField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(IntegerFilter):
    """An object's id (1..MAX_ID); `what` names the object in the one message of every
    refusal ("Группа — целое положительное число (id).")."""

    def __init__(self, *args, what: str, **kwargs):
        message = f"{what} — целое положительное число (id)."
        kwargs.update(
            min_value=1,
            max_value=MAX_ID,
            error_messages={"invalid": message, "min_value": message, "max_value": message},
        )
        super().__init__(*args, **kwargs)


class CharFilter(django_filters.CharFilter):
    """Text as the schema states it: no NUL (Django's form field refuses one, so a value with
    NUL was a 400 the schema allowed — found by the stateful soak) and, when given, its
    `max_length` (`maxLength`). What the server refuses, the schema refuses too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        declared = {"type": "string", "pattern": TEXT_PATTERN}
        if max_length := self.extra.get("max_length"):
            declared["maxLength"] = max_length
        set_override(self, "field", declared)
