"""The import's second step as a background job: the checked file is taken once (as before),
kept in the database for the job (`ImportFile`), and filed in chunks, each one transaction,
with the job's progress after each.

Exactly once: each chunk commits together with its note in the job's params (the last row
number filed, the parents the file's rows created, the counts), so the job run again after
a crash files only the rows after that note, links them to the parents already created, and
counts the whole file once; the audit row is written, and the file deleted, in the last
step's transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict

from django.db import transaction

from pfdo.accounts.models import User
from pfdo.certificates.imports.checks import parse_bytes
from pfdo.certificates.imports.filing import (
    IMPORT_ALLOWED,
    _audit,
    _check_report,
    _claim,
    _file_row,
    _notify,
    _Tally,
)
from pfdo.certificates.imports.report import ImportResult
from pfdo.certificates.models import ImportFile
from pfdo.common.authz import authorize
from pfdo.common.errors import Conflict
from pfdo.jobs import services as jobs

IMPORT_JOB = "certificates.import"
CHUNK = 200
STALE = "Этот файл уже загружен или проверка устарела. Загрузите файл заново."


def start_import(*, actor, municipality, token: str, only_good: bool, approve: bool, back=""):
    """Step two: take the file checked in step one (once: a repeated submit finds nothing),
    check it again, and hand it to a job that files it. Refusals come at once."""
    authorize(actor, "certificates.manage_municipality", municipality, message=IMPORT_ALLOWED)
    taken = _claim(token)
    if taken is None:
        raise Conflict(STALE, code="import_stale")
    kind, data = taken
    report = parse_bytes(f"import.{kind}", data, municipality=municipality)
    _check_report(report, only_good)
    with transaction.atomic():
        file = ImportFile.objects.create(
            municipality=municipality, created_by=actor, kind=kind, data=data
        )
        return jobs.start(
            kind=IMPORT_JOB,
            actor=actor,
            municipality=municipality,
            params={"file": file.pk, "only_good": only_good, "approve": approve, "back": back},
            key=f"file:{file.pk}",
        )


def _parent_tag(key: str) -> str:
    # The parent's e-mail or name and phone, not kept in the job's row as they are.
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def run_import(job, progress) -> ImportResult:
    """File the job's checked file (see the module's docstring); safe to run again."""
    actor, municipality = job.created_by, job.municipality
    note = dict(job.params.get("filed") or {})
    if note.get("finished"):
        return ImportResult(**note["result"])
    authorize(actor, "certificates.manage_municipality", municipality, message=IMPORT_ALLOWED)
    file = ImportFile.objects.filter(pk=job.params["file"]).first()
    if file is None:
        raise Conflict(STALE, code="import_stale")
    report = parse_bytes(f"import.{file.kind}", bytes(file.data), municipality=municipality)
    through = note.get("through", 0)
    if not through:
        _check_report(report, job.params["only_good"])
        note.update(skipped=report.bad_count, imported=0, created=0, financing=0, accounting=0)
        note.update(notified=0, parents={})
    # Rows filed by an earlier run are in the database now (and would read as "already
    # there"): they are skipped by number, not by the check.
    rows = [r for r in report.rows if r.number > through and r.ok]
    total = note["imported"] + len(rows)
    known = User.objects.in_bulk(set(note["parents"].values()))
    parents = {}
    for row in report.rows:
        found = known.get(note["parents"].get(_parent_tag(row.parent_key)))
        if found is not None:
            parents[row.parent_key] = found
    existing = User.objects.in_bulk({r.existing_parent_id for r in rows if r.existing_parent_id})
    progress(note["imported"], total)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        tally = _Tally()
        outcome = f"Загружено строк до неё: {note['imported']}; остальные — нет."
        with transaction.atomic():
            for row in chunk:
                parent = _file_row(
                    actor,
                    municipality,
                    row,
                    parents,
                    existing,
                    job.params["approve"],
                    tally,
                    outcome,
                )
                note["parents"][_parent_tag(row.parent_key)] = parent.pk
            _notify(tally.with_password.values())
            note["through"] = chunk[-1].number
            note["imported"] += len(chunk)
            note["created"] += tally.created
            note["financing"] += tally.financing
            note["accounting"] += tally.accounting
            note["notified"] += len(tally.with_password)
            jobs.remember(job, filed=note)
        progress(note["imported"], total)
    result = ImportResult(
        imported=note["imported"],
        skipped=note["skipped"],
        parents_created=note["created"],
        parents_existing=len(note["parents"]) - note["created"],
        approved=job.params["approve"],
        financing=note["financing"],
        accounting=note["accounting"],
        notified=note["notified"],
    )
    with transaction.atomic():
        _audit(actor, municipality, report, result)
        ImportFile.objects.filter(pk=file.pk).delete()
        jobs.remember(job, filed={"finished": True, "result": asdict(result)})
    return result


def discard_file(job) -> None:
    """A job that ended refused: its file goes (nothing more will read it)."""
    ImportFile.objects.filter(pk=job.params.get("file")).delete()
