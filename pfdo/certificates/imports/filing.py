"""Filing a checked file: the two steps (check and keep, then import once) and the import."""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from pfdo.accounts import services as accounts
from pfdo.accounts.models import User
from pfdo.audit import services as audit
from pfdo.certificates import services
from pfdo.certificates.imports.checks import parse_bytes
from pfdo.certificates.imports.reading import read_upload
from pfdo.certificates.imports.report import ImportReport, ImportResult, ImportRow
from pfdo.certificates.models import CertificateApplication
from pfdo.common.authz import authorize
from pfdo.common.errors import Conflict, DomainError, ValidationFailed
from pfdo.common.transactions import atomic_retry

# A checked file waits for the operator's decision this long, then it is swept away.
STASH_TTL_SECONDS = 2 * 60 * 60
IMPORT_ALLOWED = "Загружать детей может только оператор муниципалитета."


def _row_error(
    row: ImportRow, exc: DomainError, outcome: str = "Ничего не загружено."
) -> ValidationFailed:
    messages = [m for msgs in exc.fields.values() for m in msgs] or [exc.message]
    return ValidationFailed(f"Строка {row.number}: {' '.join(messages)} {outcome}", code=exc.code)


def _check_report(report: ImportReport, only_good: bool) -> None:
    if report.bad_count and not only_good:
        raise ValidationFailed(
            f"В файле есть строки с ошибками ({report.bad_count}): ничего не загружено. "
            "Исправьте их или загрузите только корректные строки.",
            code="import_has_errors",
        )
    if not report.good_count:
        raise ValidationFailed(
            "В файле нет корректных строк: загружать нечего.", code="import_empty"
        )


@dataclass
class _Tally:
    created: int = 0
    financing: int = 0
    accounting: int = 0
    with_password: dict[int, User] = field(default_factory=dict)


def _file_row(
    actor, municipality, row: ImportRow, parents, existing, approve, tally, outcome=None
) -> User:
    """One row as an application (and with `approve` its certificate); its parent is an
    earlier row's (`parents` by the row's parent key), an existing account, or a new one."""
    try:
        parent = parents.get(row.parent_key)
        if parent is None:
            if row.existing_parent_id:
                parent = existing.get(row.existing_parent_id)
                if parent is None:
                    raise Conflict("Учётная запись родителя не найдена.")
            else:
                parent = services.register_parent(
                    actor=actor, municipality=municipality, **row.parent
                )
                tally.created += 1
            parents[row.parent_key] = parent
        application = services.apply_for_certificate(
            actor=actor,
            municipality=municipality,
            parent=parent,
            child=row.child,
            relation=row.relation,
            wants_financing=row.wants_financing,
            channel=CertificateApplication.Channel.IMPORT,
        )
        if approve:
            issued = services.approve_application(actor=actor, application=application)
            if issued.password:
                tally.with_password[parent.pk] = parent
            if issued.certificate.is_financing:
                tally.financing += 1
            else:
                tally.accounting += 1
    except DomainError as exc:
        raise _row_error(row, exc, *([outcome] if outcome else [])) from exc
    return parent


def _notify(parents) -> None:
    for parent in parents:
        # The password itself is never sent: the operator hands it over or the parent resets it.
        how = (
            "Пароль выдаёт оператор при личном обращении; его можно также задать самому через "
            "«Забыли пароль?» на странице входа по этому e-mail."
            if parent.email
            else "Пароль выдаёт оператор при личном обращении."
        )
        accounts.notify(
            user=parent,
            subject="Доступ в личный кабинет",
            body=f"Для входа в личный кабинет ваш логин: {parent.username}. {how}",
            link=reverse("accounts:login"),
        )


def _audit(actor, municipality, report: ImportReport, result: ImportResult) -> None:
    audit.record(
        actor=actor,
        action="certificates.children_imported",
        municipality=municipality,
        details={
            "format": report.kind,
            "rows": len(report.rows),
            **{k: v for k, v in asdict(result).items() if k != "notified"},
        },
    )


@atomic_retry
def import_rows(
    *, actor, municipality, report: ImportReport, only_good: bool, approve: bool
) -> ImportResult:
    """File the report's rows as applications (channel «import») in one transaction.

    With a bad row in the report nothing is imported unless `only_good`. Parents are created
    once per distinct e-mail (or name and phone) of the file, or an existing parent account
    is used. With `approve` the certificates are issued too; issued passwords are shown to
    nobody: parents get their login by notification and a password from the operator.
    """
    authorize(actor, "certificates.manage_municipality", municipality, message=IMPORT_ALLOWED)
    if report.municipality_id != municipality.pk:
        raise Conflict("Файл проверялся для другого муниципалитета. Загрузите его заново.")
    _check_report(report, only_good)
    rows = report.good_rows
    existing = User.objects.in_bulk({r.existing_parent_id for r in rows if r.existing_parent_id})
    parents: dict[str, User] = {}
    tally = _Tally()
    for row in rows:
        _file_row(actor, municipality, row, parents, existing, approve, tally)
    _notify(tally.with_password.values())
    result = ImportResult(
        imported=len(rows),
        skipped=report.bad_count,
        parents_created=tally.created,
        parents_existing=len(parents) - tally.created,
        approved=approve,
        financing=tally.financing,
        accounting=tally.accounting,
        notified=len(tally.with_password),
    )
    _audit(actor, municipality, report, result)
    return result


# ------------------------------------------------- the checked file between the two steps


def _stash_dir() -> Path:
    configured = getattr(settings, "PFDO_IMPORT_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "imports"


_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _sweep(directory: Path) -> None:
    """Checked files nobody decided on within the TTL hold children's data: remove them."""
    limit = time.time() - STASH_TTL_SECONDS
    for path in directory.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def _stash(kind: str, data: bytes) -> str:
    directory = _stash_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _sweep(directory)
    token = secrets.token_urlsafe(32)
    fd = os.open(directory / f"{token}.{kind}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return token


def _claim(token: str) -> tuple[str, bytes] | None:
    """Take the stashed file once: the rename is atomic, so a second submit finds nothing."""
    if not _TOKEN.match(token or ""):
        return None
    directory = _stash_dir()
    for kind in ("csv", "xlsx"):
        path = directory / f"{token}.{kind}"
        taken = directory / f"{token}.{kind}.taken-{secrets.token_hex(4)}"
        try:
            path.rename(taken)
        except FileNotFoundError:
            continue
        try:
            return kind, taken.read_bytes()
        finally:
            taken.unlink(missing_ok=True)
    return None


def discard(token: str) -> None:
    """The operator cancelled: the checked file goes away."""
    if _TOKEN.match(token or ""):
        for kind in ("csv", "xlsx"):
            (_stash_dir() / f"{token}.{kind}").unlink(missing_ok=True)


def check_upload(*, actor, municipality, upload) -> ImportReport:
    """Step one: check the file; if any row is good, keep it for step two (`report.token`)."""
    authorize(actor, "certificates.manage_municipality", municipality, message=IMPORT_ALLOWED)
    name, data = read_upload(upload)
    report = parse_bytes(name, data, municipality=municipality)
    if report.good_count:
        report.token = _stash(report.kind, data)
    return report


def import_stashed(
    *, actor, municipality, token: str, only_good: bool, approve: bool
) -> ImportResult:
    """Step two: the file checked in step one is checked again and imported — once.

    The stashed file is taken before anything is written, so a repeated or concurrent
    submit of the same step finds nothing and imports nothing.
    """
    authorize(actor, "certificates.manage_municipality", municipality, message=IMPORT_ALLOWED)
    taken = _claim(token)
    if taken is None:
        raise Conflict(
            "Этот файл уже загружен или проверка устарела. Загрузите файл заново.",
            code="import_stale",
        )
    kind, data = taken
    report = parse_bytes(f"import.{kind}", data, municipality=municipality)
    return import_rows(
        actor=actor, municipality=municipality, report=report, only_good=only_good, approve=approve
    )
