"""Names of children and parents refuse markup and spreadsheet formulas, with a field message,
in the public form, the operator's registration, the API and the CSV/XLSX import."""

# ruff: noqa: F811  (fixtures are imported from the support modules and requested by name)

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from pfdo.accounts.models import User
from pfdo.certificates import imports
from pfdo.certificates.models import CertificateApplication, Child
from pfdo.certificates.tests.api_support import (  # noqa: F401  (fixtures by name)
    APPLICATIONS,
    as_user,
    assert_error,
    body_of,
    parent,
)
from pfdo.certificates.tests.parent_pages_support import (  # noqa: F401  (fixtures by name)
    APPLY,
    _today,
    registration,
)
from pfdo.certificates.tests.test_imports import csv_file, row, xlsx_file

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"
# The field message the person-name rule gives (pfdo.common.validators), as people read it.
PERSON_NAME_MESSAGE = (
    "Только буквы (русские или латинские), пробелы, дефисы и апострофы; начинается с буквы."
)
REGISTER = "/cabinet/certificate-applications/new/"


def test_public_application_form_refuses_markup_and_formulas(client, vorkuta):
    users = User.objects.count()
    data = registration(vorkuta, parent_last_name=SCRIPT, first_name=FORMULA)
    response = client.post(APPLY, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["parent_last_name"] == [PERSON_NAME_MESSAGE]
    assert errors["first_name"] == [PERSON_NAME_MESSAGE]
    assert PERSON_NAME_MESSAGE in response.content.decode()
    assert User.objects.count() == users and not Child.objects.exists()


def test_public_form_takes_hyphens_apostrophes_and_yo(client, vorkuta):
    data = registration(vorkuta, parent_last_name="О'Коннор-Ёлкина", first_name="Анна-Мария")
    assert client.post(APPLY, data).status_code == 302
    assert Child.objects.get().first_name == "Анна-Мария"


def test_operator_registration_refuses_them_too(client, operator):
    client.force_login(operator)
    response = client.post(
        REGISTER,
        {
            "parent_last_name": "Смирнова",
            "parent_first_name": FORMULA,
            "email": "smirnova@example.org",
            "relation": "mother",
            "last_name": SCRIPT,
            "first_name": "Илья",
            "birth_date": "2015-03-02",
            "sex": "m",
            "document_type": "birth_certificate",
            "document_number": "II-ЕА 654321",
            "snils": "112-233-445 95",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["parent_first_name"] == [PERSON_NAME_MESSAGE]
    assert errors["last_name"] == [PERSON_NAME_MESSAGE]
    assert not CertificateApplication.objects.exists()


def test_api_refuses_them_with_field_errors(as_user, vorkuta, parent, operator):
    error = assert_error(
        as_user(parent).post(APPLICATIONS, body_of(last_name=SCRIPT), format="json"),
        400,
        "validation_error",
    )
    assert error["fields"] == {"last_name": [PERSON_NAME_MESSAGE]}
    in_person = {
        **body_of(),
        "channel": "in_person",
        "parent_last_name": "Смирнова",
        "parent_first_name": FORMULA,
    }
    error = assert_error(
        as_user(operator).post(APPLICATIONS, in_person, format="json"), 400, "validation_error"
    )
    assert error["fields"] == {"parent_first_name": [PERSON_NAME_MESSAGE]}
    assert not CertificateApplication.objects.exists()


def xlsx_of_text(rows):
    """An XLSX whose cells are all text (openpyxl would store "=…" as a formula otherwise,
    which the import reads as its missing cached value)."""
    upload = xlsx_file(rows)
    book = load_workbook(io.BytesIO(upload.read()))
    for cells in book.active.iter_rows():
        for cell in cells:
            if cell.data_type == "f":
                cell.value, cell.data_type = str(cell.value), "s"
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(upload.name, out.getvalue(), upload.content_type)


@pytest.mark.parametrize("file", [csv_file, xlsx_of_text])
def test_import_marks_the_rows_with_markup_or_formulas(vorkuta, file):
    rows = [row(имя=FORMULA), row(**{"фамилия родителя": SCRIPT}), row()]
    report = imports.parse_file(file(rows), municipality=vorkuta)
    assert [r.errors for r in report.rows] == [
        [("имя", PERSON_NAME_MESSAGE)],
        [("фамилия родителя", PERSON_NAME_MESSAGE)],
        [],
    ]


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("  Мамин-Сибиряк\u00a0", True),
        ("д’Артаньян", True),
        ("Иванова2", False),
        ("-Иванова", False),
        ("Я" * 151, False),
    ],
)
def test_the_schema_states_the_name_rule_the_api_applies(as_user, parent, name, allowed):
    """Issue 18: a name the schema's pattern allows is taken, one it refuses is a field error."""
    from pfdo.common.tests.served_schema import body_is_valid, served_schema

    body = body_of(last_name=name)
    assert body_is_valid(served_schema(), "POST", APPLICATIONS, body) is allowed
    response = as_user(parent).post(APPLICATIONS, body, format="json")
    if allowed:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {"last_name"}
