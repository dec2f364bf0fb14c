"""The children import's filing as a background job: progress per chunk, and exactly once when
the job dies between chunks and runs again."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from pfdo.accounts.models import User
from pfdo.audit.models import ActionLog
from pfdo.certificates import imports
from pfdo.certificates.imports import filing
from pfdo.certificates.imports import jobs as import_jobs
from pfdo.certificates.models import CertificateApplication, Child, ImportFile
from pfdo.certificates.tests.test_imports import (  # noqa: F401 - the module's autouse fixtures
    CONFIRM,
    _stash_dir,
    _today,
    csv_file,
    row,
    upload,
)
from pfdo.common.errors import Conflict
from pfdo.jobs import services as jobs
from pfdo.jobs.models import Job

pytestmark = pytest.mark.django_db

NO_EMAIL = {"e-mail родителя": "", "фамилия родителя": "Петрова", "имя родителя": "Вера"}


def five_rows():
    """Anna's two children in the first and the third chunk (of two rows), and Vera (no
    e-mail: known by name and phone) in the second and the third."""
    return [
        row(),
        row(фамилия="Орлова", **{"e-mail родителя": "olga@example.org", "имя родителя": "Ольга"}),
        row(фамилия="Петров", имя="Иван", пол="м", **NO_EMAIL),
        row(имя="Пётр", пол="м"),
        row(фамилия="Петрова", имя="Дарья", **NO_EMAIL),
    ]


def test_the_import_job_files_in_chunks_and_a_rerun_after_a_crash_files_nothing_twice(
    client, operator, vorkuta, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(import_jobs, "CHUNK", 2)
    monkeypatch.setattr(jobs, "_PROGRESS_EVERY", 0)  # every chunk's progress written
    real_apply, calls, seen = filing.services.apply_for_certificate, [], []

    def apply(**kwargs):
        calls.append(kwargs["child"]["first_name"])
        job = Job.objects.get()
        seen.append((job.progress_done, job.progress_total))
        if len(calls) == 4:  # the second chunk's second row: the connection drops
            raise OperationalError("server closed the connection unexpectedly")
        return real_apply(**kwargs)

    monkeypatch.setattr(filing.services, "apply_for_certificate", apply)
    client.force_login(operator)
    report = upload(client, csv_file(five_rows()))
    users = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CONFIRM, {"token": report.context["report"].token, "mode": "all"})
    job = Job.objects.get(kind="certificates.import")
    assert response.url == f"/cabinet/jobs/{job.pk}/"
    assert (job.status, job.attempts, job.error) == ("done", 2, "")
    # The first chunk, then the second broken off and filed again whole, then the third.
    assert calls == ["Мария", "Мария", "Иван", "Пётр", "Иван", "Пётр", "Дарья"]
    assert seen[0] == (0, 5) and seen[2] == (2, 5) and seen[-1] == (4, 5)  # progress per chunk
    assert Child.objects.count() == 5 and CertificateApplication.objects.count() == 5
    assert User.objects.count() == users + 3  # Anna, Olga, Vera: once each
    anna = User.objects.get(email="anna@example.org")
    assert Child.objects.of_parent(anna).count() == 2
    vera = User.objects.get(last_name="Петрова", first_name="Вера")
    assert Child.objects.of_parent(vera).count() == 2
    assert job.result["data"] == {
        "imported": 5,
        "skipped": 0,
        "parents_created": 3,
        "parents_existing": 0,
        "approved": False,
        "financing": 0,
        "accounting": 0,
        "notified": 0,
    }
    log = ActionLog.objects.get(action="certificates.children_imported")
    assert log.details["imported"] == 5 and log.details["parents_created"] == 3
    assert not ImportFile.objects.exists()  # the children's data goes with the import
    page = client.get(response.url).content.decode()
    assert "Загружено заявлений: 5" in page and "Новых учётных записей родителей: 3" in page
    # The job run once more (a late duplicate of its task) changes nothing.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.run(job.pk)
    assert Child.objects.count() == 5
    assert ActionLog.objects.filter(action="certificates.children_imported").count() == 1


def test_a_job_whose_file_is_refused_ends_with_the_reason_and_drops_the_file(
    operator, vorkuta, django_capture_on_commit_callbacks
):
    report = imports.check_upload(
        actor=operator, municipality=vorkuta, upload=csv_file([row(), row(пол="x")])
    )
    with pytest.raises(Exception) as refused:
        imports.start_import(
            actor=operator, municipality=vorkuta, token=report.token, only_good=False, approve=False
        )
    assert getattr(refused.value, "code", "") == "import_has_errors"
    assert not Job.objects.exists() and not ImportFile.objects.exists()
    # Taken once: the same token again is stale.
    with pytest.raises(Conflict):
        imports.start_import(
            actor=operator, municipality=vorkuta, token=report.token, only_good=True, approve=False
        )
    # A row the check passed refused when filed (the same child entered meanwhile).
    fresh = imports.check_upload(actor=operator, municipality=vorkuta, upload=csv_file([row()]))
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        job = imports.start_import(
            actor=operator, municipality=vorkuta, token=fresh.token, only_good=False, approve=False
        )
    assert ImportFile.objects.count() == 1
    ImportFile.objects.update(data=csv_file([row(пол="x")]).read())
    for callback in waiting:
        callback()
    job.refresh_from_db()
    assert job.status == "failed" and "ничего не загружено" in job.error
    assert not ImportFile.objects.exists() and Child.objects.count() == 0
