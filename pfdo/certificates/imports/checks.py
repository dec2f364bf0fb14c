"""Checking a whole file: every row, repeats within the file, and what the database knows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.db.models import Q
from django.db.models.functions import Lower

from pfdo.accounts.models import Membership, User
from pfdo.accounts.roles import Role
from pfdo.certificates.imports import reading
from pfdo.certificates.imports.report import ImportReport, ImportRow
from pfdo.certificates.imports.rows import _clean_row
from pfdo.certificates.models import Certificate, CertificateApplication, Child
from pfdo.common import clock

_CHUNK = 500


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rows_list(numbers: Iterable[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def _check_within_file(rows: list[ImportRow]) -> None:
    by_snils: dict[str, list[ImportRow]] = defaultdict(list)
    by_document: dict[str, list[ImportRow]] = defaultdict(list)
    for row in rows:
        if row.snils_hash:
            by_snils[row.snils_hash].append(row)
            by_document[row.document_hash].append(row)
    for same in by_snils.values():
        if len(same) > 1:
            numbers = [r.number for r in same]
            for row in same:
                row.error("snils", f"СНИЛС повторяется в файле: строки {_rows_list(numbers)}.")
    for same in by_document.values():
        if len(same) > 1:
            for row in same:
                others = [r.number for r in same if r is not row]
                row.notes.append(
                    f"Номер документа совпадает со строкой {_rows_list(others)}: проверьте, "
                    "не один ли это ребёнок."
                )
    first_of_parent: dict[str, ImportRow] = {}
    for row in rows:
        first = first_of_parent.setdefault(row.parent_key, row)
        if first is row:
            continue
        if row.parent_key.startswith("name:"):
            row.notes.append(
                f"Родитель без e-mail: по ФИО и телефону это тот же родитель, что в строке "
                f"{first.number} (одна учётная запись)."
            )
        elif _parent_name(row) != _parent_name(first):
            row.notes.append(
                f"Этот e-mail родителя уже был в строке {first.number} с другим ФИО; "
                f"учётная запись создаётся по строке {first.number}."
            )


def _parent_name(row: ImportRow) -> tuple[str, ...]:
    return tuple(row.parent.get(n, "").lower() for n in ("last_name", "first_name", "patronymic"))


def _check_against_database(rows: list[ImportRow], municipality) -> None:
    region_id = municipality.region_id
    snils_hashes = sorted({r.snils_hash for r in rows if r.snils_hash})
    live: set[str] = set()
    known_documents: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(snils_hashes):
        live.update(
            Child.objects.filter(municipality__region_id=region_id, snils_hash__in=chunk)
            .filter(
                Q(certificates__status__in=Certificate.LIVE)
                | Q(applications__status__in=CertificateApplication.OPEN)
            )
            .values_list("snils_hash", flat=True)
        )
    document_hashes = sorted({r.document_hash for r in rows if r.document_hash})
    for chunk in _chunks(document_hashes):
        for document_hash, snils_hash in Child.objects.filter(
            municipality__region_id=region_id, document_hash__in=chunk
        ).values_list("document_hash", "snils_hash"):
            known_documents[document_hash].add(snils_hash)
    for row in rows:
        if row.snils_hash in live:
            row.error(
                "snils",
                "Ребёнок с этим СНИЛС уже есть в системе: сертификат выдан или заявление подано.",
            )
        elif known_documents.get(row.document_hash, set()) - {row.snils_hash}:
            row.notes.append(
                "Документ совпадает с другим ребёнком, уже внесённым в систему: заявление "
                "будет помечено как возможный дубликат."
            )
    _match_parents(rows, municipality)


def _match_parents(rows: list[ImportRow], municipality) -> None:
    emails = sorted({r.parent["email"] for r in rows if r.parent.get("email")})
    users: dict[str, list[User]] = defaultdict(list)
    for chunk in _chunks(emails):
        for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk):
            users[user.email_lower].append(user)
    parents_here = set(
        Membership.objects.filter(
            user__in=[u for found in users.values() for u in found],
            role=Role.PARENT,
            municipality=municipality,
            is_active=True,
        ).values_list("user_id", flat=True)
    )
    for row in rows:
        found = users.get(row.parent.get("email", ""), [])
        if not found:
            continue
        usable = [u for u in found if u.is_active and u.pk in parents_here]
        if len(usable) == 1:
            row.existing_parent_id = usable[0].pk
            row.notes.append(
                f"Родитель уже зарегистрирован (логин {usable[0].username}): ребёнок будет "
                "привязан к этой учётной записи."
            )
        elif len(usable) > 1:
            row.error("email", "Этот e-mail у нескольких учётных записей; укажите другой.")
        else:
            row.error(
                "email",
                "Этот e-mail принадлежит пользователю, который не зарегистрирован как родитель "
                "в этом муниципалитете. Укажите другой e-mail или оставьте поле пустым.",
            )


def parse_bytes(filename: str, data: bytes, *, municipality) -> ImportReport:
    """Check every row of the file's content; a problem of the whole file is ValidationFailed."""
    kind = reading.file_kind(filename)
    if not data.strip():
        raise reading.file_error("Файл пустой.")
    if len(data) > reading.MAX_BYTES:
        raise reading.file_error(reading.too_big())
    header, body = reading.table(kind, data)
    columns, notes = reading.columns(header)
    if not body:
        raise reading.file_error("В файле только заголовки: нет ни одной строки с данными.")
    today = clock.today()
    rows = [_clean_row(number, cells, columns, today) for number, cells in body]
    _check_within_file(rows)
    _check_against_database(rows, municipality)
    return ImportReport(
        filename=Path(filename).name[:200],
        kind=kind,
        municipality_id=municipality.pk,
        rows=rows,
        notes=notes,
    )


def parse_file(upload, *, municipality) -> ImportReport:
    """Check an uploaded file (CSV or XLSX) row by row for `municipality`; nothing is written."""
    name, data = reading.read_upload(upload)
    return parse_bytes(name, data, municipality=municipality)
