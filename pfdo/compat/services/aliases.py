"""Filling and pruning the table of old ПФДО programme ids (ProgramAlias) of a municipality.

The compatibility API shows and finds an aliased programme under its old id, and every other
programme under its own id, in one space of numbers. Two rules keep that space unambiguous
(docs/decisions.md, "Old ПФДО programme ids"):

- an old id never equals the own id of a programme without an old id (that programme would
  become unreachable under its own id) — such a row is refused, and an alias whose removal
  would expose such a clash cannot be removed;
- programmes created later never get an id equal to an old id: after writing, the programme
  primary-key sequence is advanced past the largest old id, in the same transaction.

On PostgreSQL both run under a SHARE ROW EXCLUSIVE lock of the programme table: a programme
inserted by a transaction still in flight (its id taken, its row not yet visible) is waited
for, and no programme is inserted until the mapping commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction
from django.db.models import Max

from pfdo.audit import services as audit
from pfdo.catalog.models import Program
from pfdo.common.authz import authorize, can
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.ids import MAX_ID
from pfdo.compat.models import ProgramAlias
from pfdo.territory.models import Municipality

PERMISSION = "compat.manage_aliases"
# ПФДО's programme ids are seven digits today; nine leave room and stay within a 32-bit
# integer (clients of the original may keep ids in one), and a pasted СНИЛС or phone number
# is refused instead of pushing every later programme id that far.
MAX_LEGACY_ID = 999_999_999
MAX_ROWS = 10_000
MAX_PROGRAM_ID = MAX_ID  # the primary key's range, as every id
# A file of ids (pfdo.compat.imports): ten thousand lines of two numbers are some 200 KB as
# CSV and less as XLSX.
MAX_FILE_BYTES = 2 * 1024 * 1024
# The messages a page or the API shows at most; the rest are counted.
MAX_MESSAGES = 100
# How long a batch waits for programme writes in flight before it gives up (PostgreSQL).
LOCK_TIMEOUT = "5s"
# The audit row lists at most this many programme changes; the counts are always whole.
AUDIT_CHANGES = 200


@dataclass(frozen=True)
class AliasRow:
    """One row of a batch: this system's programme id, its old ПФДО id, where it came from
    (a file's line number, or the position in a list counted from 1)."""

    program_id: object
    legacy_id: object
    line: int


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str  # "program" or "pfdo_id"
    text: str
    # The row is well-formed but the stored aliases or programmes refuse it (the number is
    # another programme's): a conflict with the state, not a mistake within the batch.
    conflict: bool = False

    def __str__(self) -> str:
        return f"Строка {self.line}: {self.text}"


class AliasRowsInvalid(ValidationFailed):
    """Some rows of a batch break a rule; `problems` names each (line, field, text). Nothing
    was written."""

    code = "aliases_invalid"

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        lines = sorted({p.line for p in self.problems})
        shown = [str(p) for p in self.problems[:MAX_MESSAGES]]
        if len(self.problems) > MAX_MESSAGES:
            shown.append(f"…и ещё ошибок: {len(self.problems) - MAX_MESSAGES}.")
        super().__init__(
            f"Ошибки в строках ({len(lines)}): {_line_list(lines)}. Ничего не сохранено — "
            "исправьте строки и загрузите их снова.",
            fields={"rows": shown},
        )


def _line_list(lines: list[int], limit: int = 20) -> str:
    text = ", ".join(str(n) for n in lines[:limit])
    return text + ("…" if len(lines) > limit else "")


@dataclass(frozen=True)
class AliasResult:
    created: int = 0
    replaced: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.replaced

    def __str__(self) -> str:
        return (
            f"Добавлено: {self.created}, заменено: {self.replaced}, "
            f"без изменений: {self.unchanged}."
        )


def municipalities_managed_by(user) -> list[Municipality]:
    """The municipalities whose programmes' old ids `user` may fill, by name."""
    if not user or not user.is_authenticated:
        return []
    candidates = Municipality.objects.select_related("region").order_by("name")
    if not user.is_superuser:
        candidates = candidates.filter(pk__in=user.municipality_ids_for("operator"))
    return [m for m in candidates if can(user, PERMISSION, m)]


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _normalise(rows: Iterable) -> list[AliasRow]:
    out = []
    for position, row in enumerate(rows, start=1):
        if isinstance(row, AliasRow):
            out.append(row)
        else:
            program_id, legacy_id = row
            out.append(AliasRow(program_id, legacy_id, position))
    return out


def set_aliases(*, actor, municipality: Municipality, rows: Iterable) -> AliasResult:
    """Give programmes of `municipality` their old ПФДО ids: rows of (programme id, old id)
    or `AliasRow`s. All rows or none: any bad row raises `AliasRowsInvalid` naming every bad
    row, and nothing is written.

    A programme that already has this old id is left as is (a repeated file changes
    nothing); one that has another old id gets the new one (counted as replaced) — a
    corrected file corrects the table. `actor` None is the system (the management command).
    """
    if actor is not None:
        authorize(actor, PERMISSION, municipality)
    rows = _normalise(rows)
    if not rows:
        raise ValidationFailed("Нет ни одной строки: укажите программы и их номера в ПФДО.")
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(
            f"Строк больше {MAX_ROWS}: разделите их на части.", code="aliases_too_many"
        )
    with transaction.atomic():
        _lock_programs()
        problems = _check(actor, municipality, rows)
        if problems:
            raise AliasRowsInvalid(problems)
        result, changes = _write(actor, rows)
        if result.changed:
            _advance_program_ids()
            audit.record(
                actor=actor,
                action="compat.aliases_set",
                municipality=municipality,
                details={
                    "created": result.created,
                    "replaced": result.replaced,
                    "unchanged": result.unchanged,
                    # programme id → [old ПФДО id before (None: none), after]
                    "changes": dict(list(changes.items())[:AUDIT_CHANGES]),
                },
            )
    return result


def _check(actor, municipality, rows: list[AliasRow]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    good: list[AliasRow] = []
    for row in rows:
        bad = False
        if not _is_whole(row.program_id) or not 1 <= row.program_id <= MAX_PROGRAM_ID:
            problems.append(RowProblem(row.line, "program", "номер программы — целое число от 1."))
            bad = True
        if not _is_whole(row.legacy_id) or not 1 <= row.legacy_id <= MAX_LEGACY_ID:
            problems.append(
                RowProblem(
                    row.line,
                    "pfdo_id",
                    f"номер программы в ПФДО — целое число от 1 до {MAX_LEGACY_ID:,}.".replace(
                        ",", "\u00a0"
                    ),
                )
            )
            bad = True
        if not bad:
            good.append(row)

    program_ids = {row.program_id for row in good}
    legacy_ids = {row.legacy_id for row in good}
    # The actor's programmes of this municipality (as operator: drafts too).
    programs = Program.objects.all() if actor is None else Program.objects.for_user(actor)
    own = set(
        programs.filter(municipality=municipality, pk__in=program_ids).values_list("pk", flat=True)
    )
    holders = dict(
        ProgramAlias.objects.filter(legacy_id__in=legacy_ids).values_list("legacy_id", "program_id")
    )
    # Programmes whose own id an old id of the batch would hide: those without an alias after
    # the batch (not aliased now and not given one by it).
    same_number = set(Program.objects.filter(pk__in=legacy_ids).values_list("pk", flat=True))
    aliased = set(
        ProgramAlias.objects.filter(program_id__in=same_number).values_list("program_id", flat=True)
    )
    bare = same_number - aliased - own

    first_for_program: dict[int, AliasRow] = {}
    first_for_legacy: dict[int, AliasRow] = {}
    for row in good:
        if row.program_id not in own:
            problems.append(
                RowProblem(
                    row.line,
                    "program",
                    f"программы № {row.program_id} нет среди программ муниципалитета "
                    f"«{municipality.name}».",
                )
            )
            continue
        earlier = first_for_program.get(row.program_id)
        if earlier is not None and earlier.legacy_id != row.legacy_id:
            problems.append(
                RowProblem(
                    row.line,
                    "program",
                    f"программе № {row.program_id} уже дан номер {earlier.legacy_id} в строке "
                    f"{earlier.line}; у программы один номер ПФДО.",
                )
            )
            continue
        first_for_program.setdefault(row.program_id, row)
        earlier = first_for_legacy.get(row.legacy_id)
        if earlier is not None and earlier.program_id != row.program_id:
            problems.append(
                RowProblem(
                    row.line,
                    "pfdo_id",
                    f"номер {row.legacy_id} уже дан программе № {earlier.program_id} в строке "
                    f"{earlier.line}.",
                )
            )
            continue
        first_for_legacy.setdefault(row.legacy_id, row)
        holder = holders.get(row.legacy_id)
        if holder is not None and holder != row.program_id and holder not in own:
            problems.append(
                RowProblem(
                    row.line,
                    "pfdo_id",
                    f"номер {row.legacy_id} уже принадлежит другой программе (№ {holder}).",
                    conflict=True,
                )
            )
            continue
        if row.legacy_id in bare:
            problems.append(
                RowProblem(
                    row.line,
                    "pfdo_id",
                    f"номер {row.legacy_id} совпадает с собственным номером другой программы "
                    "этой системы, у которой нет номера ПФДО: по этому номеру она перестала бы "
                    "открываться.",
                    conflict=True,
                )
            )
    return problems


def _write(actor, rows: list[AliasRow]) -> tuple[AliasResult, dict[str, list]]:
    wanted: dict[int, int] = {}
    for row in rows:
        wanted.setdefault(row.program_id, row.legacy_id)
    current = dict(
        ProgramAlias.objects.filter(program_id__in=wanted).values_list("program_id", "legacy_id")
    )
    created = replaced = unchanged = 0
    changes: dict[str, list] = {}
    new_rows = []
    user = actor if getattr(actor, "is_authenticated", False) else None
    for program_id, legacy_id in wanted.items():
        before = current.get(program_id)
        if before == legacy_id:
            unchanged += 1
            continue
        if before is None:
            created += 1
        else:
            replaced += 1
        changes[str(program_id)] = [before, legacy_id]
        new_rows.append(ProgramAlias(program_id=program_id, legacy_id=legacy_id, created_by=user))
    # Replaced ones go first, so ids may move between programmes of one batch (a swap).
    replaced_ids = [int(pk) for pk, (before, _) in changes.items() if before is not None]
    if replaced_ids:
        ProgramAlias.objects.filter(program_id__in=replaced_ids).delete()
    ProgramAlias.objects.bulk_create(new_rows)
    return AliasResult(created, replaced, unchanged), changes


def remove_alias(*, actor, alias: ProgramAlias) -> None:
    """The programme is again shown and found under its own id. Refused (Conflict) while its
    own id is another programme's old id: it would then answer under that id too."""
    if actor is not None:
        authorize(actor, PERMISSION, alias)
    with transaction.atomic():
        _lock_programs()
        alias = ProgramAlias.objects.select_related("program").filter(pk=alias.pk).first()
        if alias is None:
            return
        program = alias.program
        clash = (
            ProgramAlias.objects.filter(legacy_id=program.pk)
            .exclude(pk=alias.pk)
            .values_list("program_id", flat=True)
            .first()
        )
        if clash is not None:
            raise Conflict(
                f"Номер не удалить: собственный номер программы ({program.pk}) — это номер ПФДО "
                f"программы № {clash}, и без номера ПФДО программа «{program.name}» стала бы "
                "недоступна по своим ссылкам. Дайте ей другой номер ПФДО или сначала измените "
                f"номер программы № {clash}.",
                code="alias_clash",
            )
        alias.delete()
        audit.record(
            actor=actor,
            action="compat.alias_removed",
            obj=program,
            municipality=program.municipality,
            details={"program": program.pk, "pfdo_id": alias.legacy_id},
        )


def _lock_programs() -> None:
    """PostgreSQL: no programme is inserted (or its id taken) while a mapping is decided and
    written, and inserts in flight are waited for (SQLite has one writer anyway)."""
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(Program._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
        try:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        except OperationalError as exc:
            raise Conflict(
                "Программы сейчас изменяются: повторите через минуту. Ничего не сохранено.",
                code="programs_busy",
            ) from exc
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def _advance_program_ids() -> None:
    """Move the programme id sequence past every old id (never back): a programme created
    later never gets an id that is an old ПФДО id."""
    largest = ProgramAlias.objects.aggregate(largest=Max("legacy_id"))["largest"]
    if not largest:
        return
    table = Program._meta.db_table
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            highest = f"(SELECT COALESCE(MAX(id), 0) FROM {quoted})"  # noqa: S608 - a model's table
            cursor.execute(
                "SELECT setval(seq, GREATEST(%s, "
                + highest
                + ", COALESCE(pg_sequence_last_value(seq), 0))) "
                "FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) AS s",
                [largest, table],
            )
        elif connection.vendor == "sqlite":
            # AUTOINCREMENT: the next id is one past the larger of this row and the largest id.
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [largest, table]
            )
            if cursor.rowcount == 0:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, largest]
                )
        else:  # pragma: no cover - the system runs on these two
            raise NotImplementedError(f"no programme id sequence on {connection.vendor}")
