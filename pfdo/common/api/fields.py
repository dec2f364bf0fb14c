"""Serializer fields shared by the apps' APIs."""

from __future__ import annotations

import re

from django.core.validators import RegexValidator
from rest_framework import serializers

from pfdo.common.validators import TEXT_PATTERN, PersonNameValidator


class _StatedPattern(RegexValidator):
    """The pattern a PatternField checks, put where drf-spectacular reads it from; the field
    itself checks the value as sent (this validator, seeing the trimmed value, does nothing)."""

    def __call__(self, value) -> None:
        return None


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's SlugRelatedField, refusing a NUL byte before it reaches the database.

    PostgreSQL text cannot hold NUL (0x00): the look-up itself fails with a DataError, which
    would be a 500 instead of the 400 a wrong code deserves (DRF's CharField refuses NUL too).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The schema says it: a code holds no NUL (whether it names something is the answer).
        self.validators.append(_StatedPattern(TEXT_PATTERN))

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def text_takes_only_strings() -> None:
    """Every text field of every request body takes a JSON string and nothing else.

    DRF's CharField turns a JSON number into its digits (`"phname": 0` becomes "0"), while the
    schema it generates says `type: string`: a client's generated code, or a fuzzer, sending a
    number was told it would be refused. One rule for all text fields — the model-made ones
    too — so the server refuses what the schema does ("Not a valid string."); a form body's
    values are always text. Installed once, by the common app (docs/decisions.md).
    """
    original = serializers.CharField.to_internal_value
    if getattr(original, "takes_only_strings", False):
        return

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return original(self, data)

    to_internal_value.takes_only_strings = True
    serializers.CharField.to_internal_value = to_internal_value


class PersonNameField(serializers.CharField):
    """A surname, first name or patronymic: letters, spaces, hyphens, apostrophes.

    The schema states the rule as a pattern of the name as sent (PersonNameValidator), and its
    maxLength counts what is sent: the length is checked before the whitespace is tidied.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 150)
        super().__init__(**kwargs)
        self.validators.append(PersonNameValidator(blank=self.allow_blank))

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)

    def to_internal_value(self, data):
        return " ".join(super().to_internal_value(data).split())


class PatternField(serializers.CharField):
    """Text of a fixed shape (a certificate number, four digits...): the schema states
    `pattern` and the server checks the very same pattern on the value as sent — before
    trimming, the way a JSON Schema validator reads it — refusing it with `message`. Its
    maxLength counts what is sent too, and only a JSON string is taken (not a number)."""

    def __init__(self, *, pattern: str, message: str, **kwargs):
        super().__init__(**kwargs)
        self.pattern = re.compile(pattern)
        self.pattern_message = message
        self.validators.append(_StatedPattern(pattern, message))

    def run_validation(self, data=serializers.empty):
        if data is not serializers.empty and data is not None:
            if not isinstance(data, str):
                self.fail("invalid")
            if self.max_length is not None and len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length)
            blank = self.allow_blank and not data.strip()
            if not blank and not self.pattern.search(data):
                raise serializers.ValidationError(self.pattern_message, code="invalid")
        return super().run_validation(data)


REASON_MISSING = "Укажите причину."


def reason_field(
    *, required: bool, help_text: str, max_length: int = 2000, missing: str = REASON_MISSING
):
    """The `reason` of a decision. Where the decision needs one (a refusal, a suspension, a
    termination by staff) the schema says it is required and not blank — what the service
    refuses is what a generated client is told to send."""
    if not required:
        return serializers.CharField(
            required=False, allow_blank=True, max_length=max_length, help_text=help_text
        )
    return serializers.CharField(
        max_length=max_length,
        help_text=help_text,
        error_messages={"required": missing, "blank": missing, "null": missing},
    )
