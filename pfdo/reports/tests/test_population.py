"""The child population: the service, the XLSX import (all or nothing), the page and the API."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from openpyxl import Workbook, load_workbook

from pfdo.audit.models import ActionLog
from pfdo.common.errors import AccessDenied, ValidationFailed
from pfdo.jobs.models import Job
from pfdo.reports import imports, services
from pfdo.reports.models import ChildPopulation
from pfdo.territory.tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db

HEADER = ["Код муниципалитета", "Год", "Возраст", "Численность"]


def xlsx(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(data: bytes, name="population.xlsx"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def towns(vorkuta, operator, make_user):
    inta = MunicipalityFactory(region=vorkuta.region, code="inta", name="Инта", number=3)
    return vorkuta, inta


def saved():
    return sorted(
        ChildPopulation.objects.values_list("municipality__code", "year", "age", "children")
    )


def test_service_sets_changes_and_removes_ages_with_an_audit_row(towns, operator):
    vorkuta, _ = towns
    assert (
        services.save_population(
            actor=operator, municipality=vorkuta, year=2026, children={5: 100, 6: 110}
        )
        == 2
    )
    assert (
        services.save_population(
            actor=operator, municipality=vorkuta, year=2026, children={5: 100, 6: 120, 7: None}
        )
        == 1
    )
    assert saved() == [("vorkuta", 2026, 5, 100), ("vorkuta", 2026, 6, 120)]
    services.save_population(actor=operator, municipality=vorkuta, year=2026, children={6: None})
    assert saved() == [("vorkuta", 2026, 5, 100)]
    log = ActionLog.objects.filter(action="reports.population_saved").order_by("pk")
    assert log.count() == 3
    assert log[1].details == {"year": 2026, "source": "form", "changes": {"6": [110, 120]}}


def test_service_refuses_bad_values_and_other_municipalities(towns, operator):
    vorkuta, inta = towns
    with pytest.raises(ValidationFailed) as bad:
        services.save_population(
            actor=operator, municipality=vorkuta, year=2026, children={5: -1, 19: 3}
        )
    assert set(bad.value.fields) == {"age_5", "age_19"}
    with pytest.raises(ValidationFailed):
        services.save_population(actor=operator, municipality=vorkuta, year=1999, children={5: 1})
    with pytest.raises(AccessDenied):
        services.save_population(actor=operator, municipality=inta, year=2026, children={5: 1})
    assert saved() == [] and not ActionLog.objects.filter(action="reports.population_saved")


def test_import_several_municipalities_by_code(towns, make_user):
    vorkuta, inta = towns
    admin = make_user("regional_admin", region=vorkuta.region)
    data = xlsx([["vorkuta", 2026, 5, 700], ["inta", 2026, 5, "1 200"], ["inta", 2026, 6, 3.0]])
    allowed = {"vorkuta": vorkuta, "inta": inta}
    assert imports.import_upload(actor=admin, upload=upload(data), municipalities=allowed) == 3
    assert saved() == [("inta", 2026, 5, 1200), ("inta", 2026, 6, 3), ("vorkuta", 2026, 5, 700)]
    # Two municipalities, one audit row each.
    assert ActionLog.objects.filter(action="reports.population_saved").count() == 2


@pytest.mark.parametrize(
    ("rows", "header", "expected"),
    [
        (
            [["vorkuta", 2026, 5, 1]],
            ["Код муниципалитета", "Год", "Возраст"],
            "нет столбцов: «Численность»",
        ),
        ([["vorkuta", 2026, 5, 1, 2]], [*HEADER, "Лишнее"], "Неизвестные столбцы: «Лишнее»"),
        ([["vorkuta", 2026, 5, -4]], HEADER, "Строка 3, «Численность»: -4"),
        ([["vorkuta", 2026, 5, 2.5]], HEADER, "Строка 3, «Численность»: «2.5» — не целое число"),
        ([["vorkuta", 2026, 5, "много"]], HEADER, "«много» — не целое число"),
        ([["vorkuta", 2026, 19, 1]], HEADER, "Строка 3, «Возраст»: 19 — нужно возраст от 0 до 18"),
        ([["zzz", 2026, 5, 1]], HEADER, "Строка 3, «Код муниципалитета»: муниципалитета «zzz» нет"),
        ([["inta", 2026, 5, 1]], HEADER, "муниципалитета «inta» нет или его данные вам недоступны"),
        ([["vorkuta", 2026, 5, 1], ["vorkuta", 2026, 5, 2]], HEADER, "Строка 4: повтор строки 3"),
        ([["vorkuta", None, 5, 1]], HEADER, "Строка 3, «Год»: не заполнено"),
    ],
)
def test_a_bad_file_saves_nothing_and_names_row_and_column(towns, operator, rows, header, expected):
    vorkuta, _ = towns
    # With the right header a good row comes first: it must not be saved either.
    data = xlsx([["vorkuta", 2026, 6, 10], *rows] if header == HEADER else rows, header)
    with pytest.raises(ValidationFailed) as error:
        imports.import_upload(
            actor=operator, upload=upload(data), municipalities={"vorkuta": vorkuta}
        )
    text = " ".join([error.value.message, *error.value.fields.get("file", [])])
    assert expected in text
    assert saved() == []


def test_not_xlsx_and_template(towns, operator):
    vorkuta, _ = towns
    with pytest.raises(ValidationFailed) as error:
        imports.import_upload(
            actor=operator,
            upload=upload(b"a;b\n", name="x.csv"),
            municipalities={"vorkuta": vorkuta},
        )
    assert "XLSX" in error.value.fields["file"][0]
    sheet = load_workbook(io.BytesIO(imports.template_xlsx(["vorkuta"], 2026))).active
    assert [c.value for c in sheet[1]] == HEADER
    assert [c.value for c in sheet[2]] == ["vorkuta", 2026, 0, None]
    assert sheet.max_row == 20  # ages 0..18


def test_page_edits_imports_and_refuses(
    client, towns, operator, django_capture_on_commit_callbacks
):
    vorkuta, inta = towns
    client.force_login(operator)
    url = f"/cabinet/reports/municipalities/{vorkuta.code}/population/"
    page = client.get(url + "?year=2026")
    assert page.status_code == 200 and "Численность детей" in page.content.decode()
    response = client.post(url, {"year": "2026", "age_5": "300", "age_6": ""})
    assert response.status_code == 302
    assert saved() == [("vorkuta", 2026, 5, 300)]
    bad = client.post(url, {"year": "2026", "age_5": "-3"})
    assert bad.status_code == 400 and "отрицательным" in bad.content.decode()
    assert saved() == [("vorkuta", 2026, 5, 300)]
    # A file without the code column belongs to the page's municipality.
    no_code = xlsx([[2026, 7, 40]], header=["Год", "Возраст", "Численность"])
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"year": "2026", "action": "import", "file": upload(no_code)})
    job = Job.objects.get(kind="reports.population_import")
    assert done.status_code == 302 and done.url == f"/cabinet/jobs/{job.pk}/"
    assert ("vorkuta", 2026, 7, 40) in saved()
    result = client.get(done.url).content.decode()
    assert "Загрузка численности детей" in result and "Изменено возрастов: 1<" in result
    assert f'href="{url}?year=2026"' in result
    broken = client.post(
        url, {"action": "import", "file": upload(xlsx([["vorkuta", 2026, 8, -1]]))}
    )
    assert broken.status_code == 400
    assert "Строка 2, «Численность»" in broken.content.decode()
    assert ("vorkuta", 2026, 8, -1) not in saved()
    assert Job.objects.count() == 1  # a bad file is refused at once: no job
    template = client.get(url + "template.xlsx?year=2026")
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content)).active["A2"].value == "vorkuta"
    # Another municipality's page: not found.
    assert client.get(f"/cabinet/reports/municipalities/{inta.code}/population/").status_code == 404
    assert (
        client.post(
            f"/cabinet/reports/municipalities/{inta.code}/population/", {"age_5": "1"}
        ).status_code
        == 404
    )


def test_api_lists_in_scope_and_imports_all_or_nothing(
    api_client, towns, operator, make_user, django_capture_on_commit_callbacks
):
    vorkuta, inta = towns
    services.save_population(actor=operator, municipality=vorkuta, year=2026, children={5: 9})
    inta_operator = make_user("operator", municipality=inta)
    services.save_population(actor=inta_operator, municipality=inta, year=2026, children={5: 4})
    api_client.force_authenticate(operator)
    listed = api_client.get("/api/v1/reports/population/")
    assert listed.status_code == 200
    assert [(r["municipality"], r["age"], r["children"]) for r in listed.json()["results"]] == [
        ("vorkuta", 5, 9)
    ]
    # A list filter: a municipality out of scope (or of none) is an empty page, not a 404.
    foreign = api_client.get("/api/v1/reports/population/?municipality=inta")
    assert foreign.status_code == 200 and foreign.json()["count"] == 0
    assert api_client.get("/api/v1/reports/population/?municipality=no-such").json()["count"] == 0
    assert api_client.get("/api/v1/reports/population/?municipality=&year=").json()["count"] == 1
    for query in ("year=20x6", "year=0", "year=10000", "municipality=Inta"):
        bad = api_client.get(f"/api/v1/reports/population/?{query}")
        assert bad.status_code == 400, query
        assert set(bad.json()["error"]["fields"]) == {query.split("=")[0]}
    with django_capture_on_commit_callbacks(execute=True):
        good = api_client.post(
            "/api/v1/reports/population/import/",
            {"file": upload(xlsx([["vorkuta", 2026, 6, 11]]))},
            format="multipart",
        )
    assert good.status_code == 202, good.content
    assert good["Location"] == f"/api/v1/jobs/{good.json()['id']}/"
    assert good.json()["kind"] == "reports.population_import"
    done = api_client.get(good["Location"]).json()
    assert done["status"] == "done" and done["result"]["data"]["changed"] == 1
    assert ("vorkuta", 2026, 6, 11) in saved()
    bad = api_client.post(
        "/api/v1/reports/population/import/",
        {"file": upload(xlsx([["vorkuta", 2026, 7, 5], ["inta", 2026, 7, 5]]))},
        format="multipart",
    )
    assert bad.status_code == 400
    body = bad.json()["error"]
    assert body["code"] == "population_file"
    assert any("Строка 3" in m and "«inta»" in m for m in body["fields"]["file"])
    assert not ChildPopulation.objects.filter(age=7).exists()
    assert (
        api_client.post("/api/v1/reports/population/import/", {}, format="multipart").status_code
        == 400
    )


def test_the_import_job_run_again_after_a_crash_writes_nothing_twice(
    towns, make_user, monkeypatch, django_capture_on_commit_callbacks
):
    """The job writes one municipality and year at a time, each with its note in the job;
    dropped in the middle, its next run writes the rest only, and the figures are whole."""
    vorkuta, inta = towns
    admin = make_user("regional_admin", region=vorkuta.region)
    real, calls = services.import_population, []

    def drops_before_the_second(*, actor, rows, **kwargs):
        calls.append(rows[0].municipality.code)
        if len(calls) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real(actor=actor, rows=rows, **kwargs)

    monkeypatch.setattr(services, "import_population", drops_before_the_second)
    data = xlsx([["vorkuta", 2026, 6, 11], ["vorkuta", 2026, 7, 12], ["inta", 2026, 6, 5]])
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.start_import(
            actor=admin, upload=upload(data), municipalities={"vorkuta": vorkuta, "inta": inta}
        )
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
    assert calls == ["vorkuta", "inta", "inta"]  # Vorkuta, written before the drop, is kept
    assert saved() == [("inta", 2026, 6, 5), ("vorkuta", 2026, 6, 11), ("vorkuta", 2026, 7, 12)]
    audits = ActionLog.objects.filter(action="reports.population_saved")
    assert audits.count() == 2  # one per municipality and year
    assert job.result["data"] == {"rows": 3, "groups": 2, "changed": 3}
    assert (job.progress_done, job.progress_total) == (2, 2)
