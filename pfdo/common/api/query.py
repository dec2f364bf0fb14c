"""Query values read by hand (outside a FilterSet), by the rule of the API (issue 18).

An empty value is the parameter's absence (None); any other value the schema does not allow is
`ValidationFailed` with a Russian message under the parameter's name. Each reader has the
schema it enforces next to it, so the declaration and the check cannot drift apart.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator

from pfdo.common.errors import ValidationFailed
from pfdo.common.ids import MAX_ID

ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
YEAR_MIN, YEAR_MAX = 1000, 9999
YEAR_SCHEMA = {"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX}


def query_value(params, name: str) -> str | None:
    """The raw value, None when absent or empty."""
    raw = params.get(name, "")
    return raw if raw != "" else None


def query_int(params, name: str, *, low: int, high: int, message: str) -> int | None:
    raw = query_value(params, name)
    if raw is None:
        return None
    value = int(raw) if re.fullmatch(r"-?[0-9]{1,19}", raw) else None
    if value is None or not low <= value <= high:
        raise ValidationFailed(fields={name: message})
    return value


def query_id(params, name: str, what: str) -> int | None:
    """An id (ID_SCHEMA)."""
    message = f"{what} — целое положительное число (id)."
    return query_int(params, name, low=1, high=MAX_ID, message=message)


def query_year(params, name: str = "year") -> int | None:
    """A year (YEAR_SCHEMA)."""
    message = f"Год — целое число от {YEAR_MIN} до {YEAR_MAX}, например 2026."
    return query_int(params, name, low=YEAR_MIN, high=YEAR_MAX, message=message)


def query_pattern(params, name: str, pattern: str, message: str, max_length: int) -> str | None:
    """A string that must match `pattern` (JSON Schema's, anchored) and be at most
    `max_length` long."""
    raw = query_value(params, name)
    if raw is None:
        return None
    if len(raw) > max_length or not re.fullmatch(pattern.removeprefix("^").removesuffix("$"), raw):
        raise ValidationFailed(fields={name: message})
    return raw


# A region's or municipality's code (pfdo.territory.models.code_validator, max_length 40).
CODE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CODE_MAX_LENGTH = 40
CODE_SCHEMA = {"type": "string", "pattern": CODE_PATTERN, "maxLength": CODE_MAX_LENGTH}
CODE_MESSAGE = "Код — латинские строчные буквы, цифры и дефисы, например vorkuta."


def query_code(params, name: str) -> str | None:
    """A region's or municipality's code (CODE_SCHEMA)."""
    return query_pattern(params, name, CODE_PATTERN, CODE_MESSAGE, CODE_MAX_LENGTH)


def filter_by_code_and_year(queryset, params, *, code: str, code_lookup: str, year_lookup: str):
    """A list filtered by a region's or municipality's code (`code` in the query) and a year.
    A well-formed code of nothing is an empty page, not a 404; a malformed one a 400 (the
    pattern also keeps a NUL byte from PostgreSQL)."""
    value, year = query_code(params, code), query_year(params)
    if value is not None:
        queryset = queryset.filter(**{code_lookup: value})
    if year is not None:
        queryset = queryset.filter(**{year_lookup: year})
    return queryset


def check_code(value: str, name: str) -> str:
    """`value` must be a code (CODE_SCHEMA), else a 400 under `name`."""
    return query_code({name: value}, name) or ""


class FullMatchValidator(RegexValidator):
    """A RegexValidator whose whole value must match (Python's `$` also matches before a
    final newline; JSON Schema's does not). drf-spectacular states its pattern."""

    def __call__(self, value):
        if not self.regex.fullmatch(str(value)):
            raise DjangoValidationError(self.message, code=self.code, params={"value": value})
