"""Serializer fields shared by the apps' APIs."""

from __future__ import annotations

from rest_framework import serializers

from pfdo.common.validators import validate_person_name


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's SlugRelatedField, refusing a NUL byte before it reaches the database.

    PostgreSQL text cannot hold NUL (0x00): the look-up itself fails with a DataError, which
    would be a 500 instead of the 400 a wrong code deserves (DRF's CharField refuses NUL too).
    """

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class PersonNameField(serializers.CharField):
    """A surname, first name or patronymic: letters, spaces, hyphens, apostrophes."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 150)
        super().__init__(**kwargs)
        self.validators.append(validate_person_name)

    def to_internal_value(self, data):
        return " ".join(super().to_internal_value(data).split())
