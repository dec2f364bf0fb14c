"""The one rule for person names: letters (Cyrillic, Latin), spaces, hyphens, apostrophes."""

import re

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from pfdo.common.validators import (
    OPTIONAL_PERSON_NAME_PATTERN,
    PERSON_NAME_MESSAGE,
    PERSON_NAME_PATTERN,
    person_name_error,
    validate_person_name,
)

SCRIPT = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    "name",
    [
        "Иванова",
        "Ёлкина",
        "Анна-Мария",
        "Мамин-Сибиряк",
        "О'Коннор",
        "д’Артаньян",
        "ван дер Берг",
        "Smith",
        "José",
        "Müller",
        "Ӧльга",  # Komi
        "",  # emptiness is the caller's question
    ],
)
def test_real_names_pass(name):
    assert person_name_error(name) is None
    validate_person_name(name)


@pytest.mark.parametrize(
    "name",
    [
        SCRIPT,
        FORMULA,
        "+79123456789",
        "-Иванова",
        "@Иванова",
        "'Иванова",
        "Иванова2",
        "Иванова.",
        "Иван\tова",
        "Ivan\u0000",
        "Ἀλέξανδρος",  # Greek: not a script of Russian documents
        "李",
    ],
)
def test_markup_formulas_digits_and_other_scripts_are_refused(name):
    assert person_name_error(name) == PERSON_NAME_MESSAGE
    with pytest.raises(ValidationError) as exc:
        validate_person_name(name)
    assert exc.value.messages == [PERSON_NAME_MESSAGE]


def test_every_user_created_by_the_service_has_a_valid_name(db):
    from pfdo.accounts import services
    from pfdo.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.create_user(
            actor=None, username="x1", first_name=SCRIPT, last_name=FORMULA, patronymic="Ок"
        )
    assert exc.value.fields == {
        "first_name": [PERSON_NAME_MESSAGE],
        "last_name": [PERSON_NAME_MESSAGE],
    }


# --------------------------------------------------- the rule as the API schema states it

_NAME_ALPHABET = st.sampled_from(
    "ИванёЁӧіAzéüłÿ×÷Ἀ李҂҃- \t\n\u00a0\u2003\u3000\u001c'’ʼ‐.2<=\x00\ufeff\u200b"
)


def _api_field(**kwargs):
    from pfdo.common.api.fields import PersonNameField

    return PersonNameField(**kwargs)


def _accepted(field, raw) -> bool:
    from rest_framework.exceptions import ValidationError as DRFValidationError

    try:
        field.run_validation(raw)
    except DRFValidationError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(st.text(_NAME_ALPHABET, max_size=12))
def test_the_schema_pattern_of_a_name_is_exactly_what_the_api_field_accepts(raw):
    """The pattern describes the name as sent (before whitespace is tidied): what it allows
    the field accepts, what it refuses the field refuses."""
    assert bool(re.search(PERSON_NAME_PATTERN, raw)) == _accepted(_api_field(), raw)
    optional = _api_field(required=False, allow_blank=True)
    as_schema_says = raw == "" or bool(re.search(OPTIONAL_PERSON_NAME_PATTERN, raw))
    assert as_schema_says == _accepted(optional, raw)


def test_a_name_field_counts_the_length_as_sent():
    field = _api_field(max_length=10)
    assert _accepted(field, "Иванова   ")  # 10 as sent
    assert not _accepted(field, "Иванова    ")  # 11 as sent, 7 once tidied
    assert _api_field().run_validation("  Анна \t Мария ") == "Анна Мария"


def test_the_schema_states_the_name_pattern(client):
    raw = client.get("/api/schema/?format=json").json()
    body = raw["components"]["schemas"]["CertificateApplicationCreateRequest"]["properties"]
    assert body["last_name"]["pattern"] == PERSON_NAME_PATTERN
    assert body["last_name"]["maxLength"] == 150
    assert body["patronymic"]["oneOf"] == [
        {"type": "string", "maxLength": 150, "pattern": OPTIONAL_PERSON_NAME_PATTERN},
        {"type": "string", "maxLength": 0},
    ]
