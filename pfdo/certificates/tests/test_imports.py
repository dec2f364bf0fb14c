"""Import of children from CSV/XLSX: every row checked, all or only the good rows filed in one
transaction, once; clear messages for bad files."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from openpyxl import Workbook

from pfdo.accounts.models import Notification, User
from pfdo.audit.models import ActionLog
from pfdo.certificates import imports, services
from pfdo.certificates.models import Certificate, CertificateApplication, Child, Guardianship
from pfdo.certificates.tests.factories import approved_period, issue_certificate, valid_snils
from pfdo.common import clock
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 28)
IMPORT = "/cabinet/certificates/import/"
CONFIRM = "/cabinet/certificates/import/confirm/"

pytestmark = pytest.mark.django_db

HEADER = [
    "фамилия",
    "имя",
    "отчество",
    "дата рождения",
    "пол",
    "документ",
    "номер документа",
    "СНИЛС",
    "ОВЗ",
    "фамилия родителя",
    "имя родителя",
    "отчество родителя",
    "e-mail родителя",
    "телефон родителя",
]

_doc = iter(range(200_001, 299_999))


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture(autouse=True)
def _stash_dir(settings, tmp_path):
    settings.PFDO_IMPORT_DIR = str(tmp_path / "imports")
    return tmp_path / "imports"


def row(**overrides) -> dict:
    data = {
        "фамилия": "Иванова",
        "имя": "Мария",
        "отчество": "Петровна",
        "дата рождения": "14.05.2016",
        "пол": "ж",
        "документ": "свидетельство",
        "номер документа": f"II-ЕА {next(_doc):06d}",
        "СНИЛС": valid_snils(),
        "ОВЗ": "нет",
        "фамилия родителя": "Иванова",
        "имя родителя": "Анна",
        "отчество родителя": "Сергеевна",
        "e-mail родителя": "anna@example.org",
        "телефон родителя": "+7 912 000-00-01",
    }
    data.update(overrides)
    return data


def csv_file(rows, *, delimiter=";", header=HEADER, name="children.csv", encoding="utf-8"):
    lines = [delimiter.join(header)]
    for r in rows:
        lines.append(delimiter.join(str(r.get(h, "")) for h in header))
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode(encoding), "text/csv")


def xlsx_file(rows, *, header=HEADER, name="children.xlsx"):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append([r.get(h) for h in header])
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(
        name, out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def upload(client, file):
    return client.post(IMPORT, {"file": file})


def confirm(client, response, mode, approve=False):
    """Step two; the job it starts runs after the commit; followed to the job's page."""
    data = {"token": response.context["report"].token, "mode": mode}
    if approve:
        data["approve"] = "on"
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(CONFIRM, data)
    assert response.status_code == 302, response.content
    return client.get(response.url, follow=True)


def result(done) -> dict:
    """The import's figures on the job's page the confirmation led to."""
    job = done.context["job"]
    assert job.status == "done", job.error
    return job.result["data"]


def file_errors(response) -> list[str]:
    return response.context["form"].errors.get("file", [])


# ------------------------------------------------------------------------ the whole flow


def test_a_good_csv_is_checked_then_imported_in_full(client, operator, vorkuta):
    rows = [
        row(),
        row(имя="Пётр", пол="м"),  # the same mother: one account for both
        row(
            фамилия="Орлов",
            имя="Илья",
            пол="м",
            **{
                "фамилия родителя": "Орлов",
                "имя родителя": "Олег",
                "e-mail родителя": "oleg@example.org",
            },
        ),
    ]
    client.force_login(operator)
    users = User.objects.count()
    report = upload(client, csv_file(rows))
    assert report.status_code == 200
    text = report.content.decode()
    assert report.context["report"].good_count == 3 and report.context["report"].bad_count == 0
    assert "Загрузить всё (3)" in text
    assert Child.objects.count() == 0  # nothing written by the check
    done = confirm(client, report, "all")
    assert result(done)["imported"] == 3
    applications = CertificateApplication.objects.all()
    assert applications.count() == 3
    assert {a.channel for a in applications} == {CertificateApplication.Channel.IMPORT}
    assert {a.status for a in applications} == {CertificateApplication.Status.APPLIED}
    assert User.objects.count() == users + 2
    anna = User.objects.get(email="anna@example.org")
    assert anna.has_role("parent") and not anna.has_usable_password()
    assert Child.objects.of_parent(anna).count() == 2
    log = ActionLog.objects.get(action="certificates.children_imported")
    assert log.details["imported"] == 3 and log.details["parents_created"] == 2
    assert log.details["skipped"] == 0 and log.actor == operator
    assert "Загружено заявлений: 3" in done.content.decode()


def test_a_bad_row_blocks_all_and_only_good_imports_the_rest(client, operator):
    rows = [row(), row(СНИЛС="112-233-445 96", фамилия="Плохая"), row(имя="Ольга")]
    client.force_login(operator)
    report = upload(client, csv_file(rows))
    text = report.content.decode()
    checked = report.context["report"]
    assert checked.good_count == 2 and checked.bad_count == 1
    bad = checked.bad_rows[0]
    assert bad.number == 3  # the header is row 1
    assert (
        "СНИЛС",
        "Неверный СНИЛС: контрольное число не сходится. Проверьте цифры.",
    ) in bad.errors
    assert "Загрузить всё" not in text
    assert "Загрузить только корректные (2)" in text
    # "all" is refused even when posted by hand, and nothing is written.
    refused = confirm(client, report, "all")
    assert any("ничего не загружено" in str(m) for m in refused.context["messages"])
    assert CertificateApplication.objects.count() == 0 and Child.objects.count() == 0
    # The checked file is used up; check again and take the good rows.
    again = upload(client, csv_file(rows))
    done = confirm(client, again, "good")
    assert result(done)["imported"] == 2 and result(done)["skipped"] == 1
    assert set(Child.objects.values_list("first_name", flat=True)) == {"Мария", "Ольга"}


def test_import_rows_with_a_bad_row_and_all_writes_nothing(operator, vorkuta):
    report = imports.parse_file(csv_file([row(), row(пол="x")]), municipality=vorkuta)
    with pytest.raises(ValidationFailed) as err:
        imports.import_rows(
            actor=operator, municipality=vorkuta, report=report, only_good=False, approve=False
        )
    assert err.value.code == "import_has_errors"
    assert Child.objects.count() == 0 and User.objects.filter(email="anna@example.org").count() == 0
    result = imports.import_rows(
        actor=operator, municipality=vorkuta, report=report, only_good=True, approve=False
    )
    assert result.imported == 1 and result.skipped == 1


def test_approve_issues_certificates_and_tells_parents_their_login_only(client, operator, vorkuta):
    approved_period(vorkuta, quota=1)
    client.force_login(operator)
    report = upload(client, csv_file([row(), row(имя="Пётр", пол="м")]))
    done = confirm(client, report, "all", approve=True)
    figures = result(done)
    assert figures["financing"] == 1 and figures["accounting"] == 1 and figures["notified"] == 1
    assert Certificate.objects.count() == 2
    parent = User.objects.get(email="anna@example.org")
    parent.refresh_from_db()
    assert parent.has_usable_password() and parent.must_change_password
    note = Notification.objects.get(user=parent, subject="Доступ в личный кабинет")
    assert parent.username in note.body
    text = done.content.decode()
    assert "Пароли на этой странице не показываются" in text
    assert 'data-testid="issued-password"' not in text


def test_xlsx_with_date_cells_and_number_cells_works(client, operator):
    snils = valid_snils().replace("-", "").replace(" ", "")
    rows = [
        row(**{"дата рождения": dt.datetime(2016, 5, 14), "СНИЛС": int(snils), "ОВЗ": "да"}),
        row(имя="Анна", **{"дата рождения": "2015-01-31"}),
    ]
    client.force_login(operator)
    report = upload(client, xlsx_file(rows))
    checked = report.context["report"]
    assert checked.kind == "xlsx"
    assert checked.good_count == 2, [r.errors for r in checked.rows]
    done = confirm(client, report, "all")
    assert result(done)["imported"] == 2
    maria = Child.objects.get(first_name="Мария")
    assert maria.birth_date == dt.date(2016, 5, 14) and maria.has_disability
    assert maria.snils == snils.zfill(11)


def test_comma_separated_csv_with_bom_works(operator, vorkuta):
    file = csv_file([row()], delimiter=",")
    file = SimpleUploadedFile("c.csv", b"\xef\xbb\xbf" + file.read(), "text/csv")
    report = imports.parse_file(file, municipality=vorkuta)
    assert report.good_count == 1


def test_duplicate_snils_inside_the_file_is_reported_on_both_rows(operator, vorkuta):
    snils = valid_snils()
    report = imports.parse_file(
        csv_file([row(СНИЛС=snils), row(), row(СНИЛС=snils, имя="Дина")]), municipality=vorkuta
    )
    assert [r.number for r in report.bad_rows] == [2, 4]
    for bad in report.bad_rows:
        assert ("СНИЛС", "СНИЛС повторяется в файле: строки 2, 4.") in bad.errors


def test_child_already_in_the_region_is_an_error(operator, vorkuta, region, make_user):
    parent = services.register_parent(
        actor=None, municipality=vorkuta, last_name="Котова", first_name="Ольга"
    )
    existing = issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    inta = MunicipalityFactory(region=region, code="inta", number=3)
    report = imports.parse_file(
        csv_file([row(СНИЛС=existing.certificate.child.snils)]), municipality=inta
    )
    assert report.bad_rows[0].errors == [
        (
            "СНИЛС",
            "Ребёнок с этим СНИЛС уже есть в системе: сертификат выдан или заявление подано.",
        )
    ]


def test_parent_email_of_an_existing_parent_is_reused_and_of_others_refused(
    operator, vorkuta, make_user
):
    parent = services.register_parent(
        actor=None,
        municipality=vorkuta,
        last_name="Котова",
        first_name="Ольга",
        email="kotova@example.org",
    )
    make_user("provider_staff", municipality=vorkuta, email="teacher@example.org")
    report = imports.parse_file(
        csv_file(
            [
                row(**{"e-mail родителя": "Kotova@Example.org"}),
                row(**{"e-mail родителя": "teacher@example.org"}),
            ]
        ),
        municipality=vorkuta,
    )
    good, bad = report.rows
    assert good.ok and good.existing_parent_id == parent.pk
    assert not bad.ok and bad.errors[0][0] == "e-mail родителя"
    assert "не зарегистрирован как родитель" in bad.errors[0][1]
    result = imports.import_rows(
        actor=operator, municipality=vorkuta, report=report, only_good=True, approve=False
    )
    assert result.parents_created == 0 and result.parents_existing == 1
    assert Guardianship.objects.get().user == parent


def test_every_bad_field_is_named_with_its_column(operator, vorkuta):
    report = imports.parse_file(
        csv_file(
            [
                row(
                    фамилия="",
                    **{
                        "дата рождения": "31/12/2016",
                        "документ": "справка",
                        "ОВЗ": "может быть",
                        "имя родителя": "",
                        "e-mail родителя": "not-an-email",
                        "телефон родителя": "12",
                    },
                )
            ]
        ),
        municipality=vorkuta,
    )
    columns = {column for column, _ in report.rows[0].errors}
    assert columns == {
        "фамилия",
        "дата рождения",
        "документ",
        "ОВЗ",
        "имя родителя",
        "e-mail родителя",
        "телефон родителя",
    }


# ------------------------------------------------------------------------- once, only once


def test_a_repeated_submit_imports_nothing_twice(client, operator):
    client.force_login(operator)
    report = upload(client, csv_file([row(), row(имя="Ольга")]))
    first = confirm(client, report, "all")
    assert result(first)["imported"] == 2
    second = confirm(client, report, "all")
    assert any("уже загружен" in str(m) for m in second.context["messages"])
    assert CertificateApplication.objects.count() == 2
    assert ActionLog.objects.filter(action="certificates.children_imported").count() == 1


def test_the_stashed_file_is_taken_once_even_without_the_session(operator, vorkuta):
    report = imports.check_upload(actor=operator, municipality=vorkuta, upload=csv_file([row()]))
    imports.import_stashed(
        actor=operator, municipality=vorkuta, token=report.token, only_good=False, approve=False
    )
    with pytest.raises(Conflict):
        imports.import_stashed(
            actor=operator, municipality=vorkuta, token=report.token, only_good=False, approve=False
        )
    assert CertificateApplication.objects.count() == 1


def test_cancel_discards_the_checked_file(client, operator, _stash_dir):
    client.force_login(operator)
    report = upload(client, csv_file([row()]))
    assert list(_stash_dir.iterdir())
    cancelled = confirm(client, report, "cancel")
    assert any("отменена" in str(m) for m in cancelled.context["messages"])
    assert list(_stash_dir.iterdir()) == []
    assert Child.objects.count() == 0


# ---------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("file", "fragment"),
    [
        (SimpleUploadedFile("children.txt", b"a;b\n"), "Загрузите файл CSV или XLSX"),
        (SimpleUploadedFile("children.xls", b"\xd0\xcf\x11\xe0"), "XLS (Excel 97–2003)"),
        (SimpleUploadedFile("children.csv", b""), "Файл пустой"),
        (SimpleUploadedFile("children.csv", b"  \r\n"), "Файл пустой"),
        (SimpleUploadedFile("children.xlsx", b"not a zip at all"), "Не удалось прочитать XLSX"),
        (SimpleUploadedFile("children.xlsx", b"PK\x03\x04broken"), "Не удалось прочитать XLSX"),
        (
            SimpleUploadedFile("children.csv", ";".join(HEADER).encode("cp1251")),
            "не в кодировке UTF-8",
        ),
        (
            SimpleUploadedFile("children.csv", ";".join(HEADER).encode("utf-16")),
            "Сохраните таблицу как «CSV UTF-8»",
        ),
        (
            SimpleUploadedFile("children.csv", (";".join(HEADER) + "\r\n").encode()),
            "нет ни одной строки с данными",
        ),
    ],
)
def test_bad_files_get_clear_messages(client, operator, file, fragment):
    client.force_login(operator)
    response = upload(client, file)
    assert response.status_code == 200
    errors = file_errors(response)
    assert errors and fragment in errors[0], errors


def test_missing_columns_are_named(client, operator):
    header = [h for h in HEADER if h not in ("СНИЛС", "дата рождения")]
    client.force_login(operator)
    response = upload(client, csv_file([row()], header=header))
    message = file_errors(response)[0]
    assert "«дата рождения»" in message and "«СНИЛС»" in message


def test_too_big_and_too_many_rows(client, operator, vorkuta, monkeypatch):
    client.force_login(operator)
    big = SimpleUploadedFile("children.csv", b"x" * (imports.MAX_BYTES + 1))
    assert "больше 5 МБ" in file_errors(upload(client, big))[0]
    monkeypatch.setattr(imports.reading, "MAX_UNPACKED_BYTES", 1000)
    assert "в распакованном виде" in file_errors(upload(client, xlsx_file([row()])))[0]
    monkeypatch.setattr(imports.reading, "MAX_ROWS", 2)
    with pytest.raises(ValidationFailed) as err:
        imports.parse_file(csv_file([row(), row(), row()]), municipality=vorkuta)
    assert "больше 2 строк" in err.value.fields["file"][0]


def test_template_downloads_with_every_column(client, operator):
    client.force_login(operator)
    response = client.get(reverse("certificates:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header = response.content.decode("utf-8-sig").strip().split(";")
    assert header[: len(HEADER)] == HEADER


def test_the_template_itself_is_accepted_once_filled(operator, vorkuta):
    lines = imports.template_csv().encode("utf-8")
    values = row()
    titles = imports.template_csv().lstrip("\ufeff").strip().split(";")
    filled = lines + (";".join(str(values.get(t, "")) for t in titles) + "\r\n").encode()
    report = imports.parse_bytes("template.csv", filled, municipality=vorkuta)
    assert report.good_count == 1, report.rows[0].errors


def test_parents_and_providers_may_not_import(client, make_user, vorkuta):
    for role in ("parent", "provider_staff"):
        user = make_user(role, municipality=vorkuta)
        client.force_login(user)
        assert client.get(IMPORT).status_code == 403
        assert client.post(IMPORT, {"file": csv_file([row()])}).status_code == 403
        assert client.post(CONFIRM, {"token": "x" * 43, "mode": "all"}).status_code == 403
    assert Child.objects.count() == 0
