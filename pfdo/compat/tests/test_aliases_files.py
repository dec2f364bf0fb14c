"""Old ПФДО programme ids from files: CSV and XLSX reading, the operator's pages (upload with
errors, success, removal, another municipality's operator) and the management command."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from pfdo.common.errors import ValidationFailed
from pfdo.compat import imports
from pfdo.compat.models import ProgramAlias
from pfdo.compat.services.aliases import set_aliases
from pfdo.compat.tests import aliases_support

pytestmark = pytest.mark.django_db
world = aliases_support.world  # the fixture


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table() -> dict[int, int]:
    return dict(ProgramAlias.objects.values_list("program_id", "legacy_id"))


# ------------------------------------------------------------------------------ reading


def test_csv_with_a_header_and_semicolons():
    rows = imports.parse(b"program_id;pfdo_id\r\n12;1241964\r\n\r\n13;19622\r\n", "ids.csv")
    assert [(r.program_id, r.legacy_id, r.line) for r in rows] == [
        (12, 1241964, 2),
        (13, 19622, 4),
    ]


def test_csv_without_a_header_with_commas_and_a_bom():
    rows = imports.parse("\ufeff12,1241964\n13, 19 622\n".encode(), "ids.CSV")
    assert [(r.program_id, r.legacy_id, r.line) for r in rows] == [
        (12, 1241964, 1),
        (13, 19622, 2),
    ]


def test_a_header_in_russian_in_any_order():
    rows = imports.parse("Номер в ПФДО;Номер программы\n500;7\n".encode(), "ids.csv")
    assert [(r.program_id, r.legacy_id) for r in rows] == [(7, 500)]


def test_xlsx_with_numbers_as_numbers_and_as_text():
    data = xlsx([["program_id", "pfdo_id"], [12, 1241964.0], ["13", " 19622 "], [None, None]])
    rows = imports.parse(data, "ids.xlsx")
    assert [(r.program_id, r.legacy_id, r.line) for r in rows] == [
        (12, 1241964, 2),
        (13, 19622, 3),
    ]


def test_bad_lines_are_all_named_in_russian():
    data = b"program_id;pfdo_id\n12;abc\n;5\n13;1.5\n14;15;16\n15;16\n"
    with pytest.raises(ValidationFailed) as caught:
        imports.parse(data, "ids.csv")
    messages = caught.value.fields["file"]
    assert messages == [
        "Строка 2: номер в ПФДО «abc» — не целое положительное число.",
        "Строка 3: не заполнен номер программы.",
        "Строка 4: номер в ПФДО «1.5» — не целое положительное число.",
    ]
    assert caught.value.message.startswith("В файле ошибок: 3.")
    headerless = b"14;15;16\n"
    with pytest.raises(ValidationFailed) as caught:
        imports.parse(headerless, "ids.csv")
    assert caught.value.fields["file"] == [
        "Строка 1: значений больше двух (3); нужны только номер программы и номер в ПФДО."
    ]


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"a;b\n1;2\n", "ids.csv", "Неизвестные столбцы: «a», «b»"),
        (b"program_id\n1\n", "ids.csv", "не хватает столбцов"),
        (b"program_id;program\n1;2\n", "ids.csv", "встречается в заголовке дважды"),
        (b"program_id;pfdo_id\n", "ids.csv", "нет строк с номерами"),
        (b"", "ids.csv", "нет строк с номерами"),
        ("12;5\n".encode("utf-16"), "ids.csv", "UTF-16"),
        ("программа;5\n".encode("cp1251"), "ids.csv", "не в кодировке UTF-8"),
        (b"not a zip", "ids.xlsx", "Не удалось прочитать XLSX"),
        (b"PK\x03\x04broken", "ids.xlsx", "Не удалось прочитать XLSX"),
        (b"12;5", "ids.xls", "XLS (Excel 97"),
        (b"12;5", "ids.pdf", "Загрузите файл CSV или XLSX"),
    ],
)
def test_a_bad_file_is_a_clear_russian_error(data, name, says):
    with pytest.raises(ValidationFailed) as caught:
        imports.parse(data, name)
    assert says in " ".join(caught.value.fields["file"])


def test_limits_of_size_and_lines(monkeypatch):
    upload = SimpleUploadedFile("ids.csv", b"1;2\n" * 10)
    monkeypatch.setattr(imports, "MAX_BYTES", 20)
    with pytest.raises(ValidationFailed) as caught:
        imports.read_upload(upload)
    assert "Файл больше" in caught.value.message
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    with pytest.raises(ValidationFailed) as caught:
        imports.parse(b"1;2\n" * 4, "ids.csv")
    assert "больше 3 строк" in caught.value.message


# ------------------------------------------------------------------------------ pages


def signed_in(client, user):
    client.force_login(user)
    return client


def page(world):
    return reverse("compat:aliases", kwargs={"code": world.vorkuta.code})


def test_the_operator_uploads_a_file_and_sees_the_counts_and_the_list(client, world):
    p1, p2, _ = world.programs
    signed_in(client, world.operator)
    assert client.get(reverse("compat:aliases_home")).url == page(world)
    body = f"program_id;pfdo_id\n{p1.pk};{world.old(1)}\n{p2.pk};{world.old(2)}\n".encode()
    response = client.post(page(world), {"file": SimpleUploadedFile("ids.csv", body)}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Добавлено: 2, заменено: 0, без изменений: 0." in text
    assert table() == {p1.pk: world.old(1), p2.pk: world.old(2)}
    assert "Робототехника" in text and str(world.old(1)) in text
    assert "style=" not in text and "<style" not in text
    # The navigation of the cabinet leads here.
    assert reverse("compat:aliases_home") in text
    assert "Номера программ из ПФДО" in text


def test_an_upload_with_bad_lines_shows_each_and_writes_nothing(client, world):
    p1 = world.programs[0]
    signed_in(client, world.operator)
    body = f"{p1.pk};{world.old(1)}\n{world.foreign.pk};{world.old(2)}\n{p1.pk};x\n".encode()
    response = client.post(page(world), {"file": SimpleUploadedFile("ids.csv", body)})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Строка 3: номер в ПФДО «x» — не целое положительное число." in text
    assert not ProgramAlias.objects.exists()
    # Fixed format, the rule error of line 2 now shows.
    body = f"{p1.pk};{world.old(1)}\n{world.foreign.pk};{world.old(2)}\n".encode()
    response = client.post(page(world), {"file": SimpleUploadedFile("ids.xlsx", xlsx([]))})
    assert response.status_code == 400
    response = client.post(page(world), {"file": SimpleUploadedFile("ids.csv", body)})
    assert response.status_code == 400
    text = response.content.decode()
    assert f"Строка 2: программы № {world.foreign.pk} нет среди программ муниципалитета" in text
    assert "Ничего не сохранено" in text
    assert not ProgramAlias.objects.exists()
    response = client.post(page(world), {})
    assert response.status_code == 400
    assert "Выберите файл." in response.content.decode()


def test_removing_asks_first_then_removes(client, world):
    p1 = world.programs[0]
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(p1.pk, world.old(1))])
    alias = ProgramAlias.objects.get()
    signed_in(client, world.operator)
    url = reverse("compat:alias_delete", kwargs={"code": world.vorkuta.code, "pk": alias.pk})
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert f"Удалить номер ПФДО {world.old(1)}?" in confirm.content.decode()
    assert ProgramAlias.objects.exists()
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "удалён" in response.content.decode()
    assert not ProgramAlias.objects.exists()


def test_a_refused_removal_says_why(client, world):
    p1, p2, _ = world.programs
    set_aliases(
        actor=world.operator,
        municipality=world.vorkuta,
        rows=[(p1.pk, world.old(1)), (p2.pk, p1.pk)],
    )
    alias = ProgramAlias.objects.get(program=p1)
    signed_in(client, world.operator)
    url = reverse("compat:alias_delete", kwargs={"code": world.vorkuta.code, "pk": alias.pk})
    response = client.post(url, follow=True)
    assert "Номер не удалить" in response.content.decode()
    assert ProgramAlias.objects.filter(pk=alias.pk).exists()


def test_another_municipalitys_operator_gets_not_found_and_others_are_refused(
    client, world, make_user
):
    p1 = world.programs[0]
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(p1.pk, world.old(1))])
    alias = ProgramAlias.objects.get()
    delete = reverse("compat:alias_delete", kwargs={"code": world.vorkuta.code, "pk": alias.pk})
    signed_in(client, world.other_operator)
    assert client.get(page(world)).status_code == 404
    body = f"{p1.pk};{world.old(7)}\n".encode()
    assert (
        client.post(page(world), {"file": SimpleUploadedFile("ids.csv", body)}).status_code == 404
    )
    assert client.get(delete).status_code == 404
    assert client.post(delete).status_code == 404
    # Its own municipality's page does not list Vorkuta's ids, nor let them be removed there.
    own = client.get(reverse("compat:aliases", kwargs={"code": world.inta.code}))
    assert own.status_code == 200
    assert str(world.old(1)) not in own.content.decode()
    other_delete = reverse("compat:alias_delete", kwargs={"code": world.inta.code, "pk": alias.pk})
    assert client.post(other_delete).status_code == 404
    assert table() == {p1.pk: world.old(1)}
    client.logout()
    signed_in(client, make_user("parent", municipality=world.vorkuta))
    assert client.get(reverse("compat:aliases_home")).status_code == 403
    assert client.get(page(world)).status_code == 404
    client.logout()
    assert client.get(page(world)).status_code == 302  # to the login page


def test_the_list_is_paginated(client, world, monkeypatch):
    monkeypatch.setattr("pfdo.compat.views.AliasListView.paginate_by", 2)
    rows = [(p.pk, world.old(n)) for n, p in enumerate(world.programs, start=1)]
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=rows)
    signed_in(client, world.operator)
    first = client.get(page(world)).content.decode()
    second = client.get(page(world) + "?page=2").content.decode()
    assert "Страница 1 из 2" in first
    assert "Шахматы" in second and "Шахматы" not in first
    assert "Робототехника" in first and "Робототехника" not in second


# ------------------------------------------------------------------------------ command


def test_the_command_loads_a_file(tmp_path, world):
    p1, p2, _ = world.programs
    path = tmp_path / "ids.xlsx"
    path.write_bytes(
        xlsx([["program_id", "pfdo_id"], [p1.pk, world.old(1)], [p2.pk, world.old(2)]])
    )
    out = io.StringIO()
    call_command("import_pfdo_ids", "vorkuta", str(path), stdout=out)
    assert "Добавлено: 2" in out.getvalue()
    assert table() == {p1.pk: world.old(1), p2.pk: world.old(2)}
    assert ProgramAlias.objects.filter(created_by=None).count() == 2
    call_command(
        "import_pfdo_ids", "vorkuta", str(path), "--by", world.operator.username, stdout=out
    )
    assert "без изменений: 2" in out.getvalue()


def test_the_command_refuses_bad_input_with_every_reason(tmp_path, world):
    p1 = world.programs[0]
    path = tmp_path / "ids.csv"
    path.write_bytes(f"{world.foreign.pk};{world.old(1)}\n{p1.pk};{world.foreign.pk}\n".encode())
    with pytest.raises(CommandError) as caught:
        call_command("import_pfdo_ids", "vorkuta", str(path))
    assert "Строка 1:" in str(caught.value) and "Строка 2:" in str(caught.value)
    with pytest.raises(CommandError, match="не найден"):
        call_command("import_pfdo_ids", "nowhere", str(path))
    with pytest.raises(CommandError, match="не найден"):
        call_command("import_pfdo_ids", "vorkuta", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError):
        call_command("import_pfdo_ids", "vorkuta", str(path), "--by", world.other_operator.username)
    assert not ProgramAlias.objects.exists()
