"""The one rule for person names: letters (Cyrillic, Latin), spaces, hyphens, apostrophes."""

import pytest
from django.core.exceptions import ValidationError

from pfdo.common.validators import PERSON_NAME_MESSAGE, person_name_error, validate_person_name

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
