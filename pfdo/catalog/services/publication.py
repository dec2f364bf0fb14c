"""Publication of a programme in the catalogue, its enrolment switch and its archive."""

from __future__ import annotations

from pfdo.catalog.models import Group, Program
from pfdo.catalog.services._common import authorize, ensure_not_archived, locked, record
from pfdo.catalog.services.problems import ProgramIncomplete, publication_problems
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.common.transactions import atomic_retry


@atomic_retry
def publish(*, actor, program: Program) -> Program:
    authorize(actor, "catalog.publish_program", program)
    program = locked(program)
    if program.is_published:
        raise Conflict("Программа уже опубликована.", code="already_published")
    problems = publication_problems(program)
    if problems:
        raise ProgramIncomplete(
            "Программу пока нельзя опубликовать: " + " ".join(problems),
            fields={"problems": problems},
        )
    program.is_published = True
    program.published_at = clock.now()
    program.save(update_fields=["is_published", "published_at"])
    record(actor, "catalog.program_published", program)
    return program


@atomic_retry
def unpublish(*, actor, program: Program) -> Program:
    authorize(actor, "catalog.publish_program", program)
    program = locked(program)
    if not program.is_published:
        raise Conflict("Программа не опубликована.", code="not_published")
    program.is_published = False
    program.enrolment_open = False
    program.save(update_fields=["is_published", "enrolment_open"])
    record(actor, "catalog.program_unpublished", program)
    return program


@atomic_retry
def open_enrolment(*, actor, program: Program) -> Program:
    authorize(actor, "catalog.publish_program", program)
    program = locked(program)
    if not program.is_published:
        raise Conflict("Сначала опубликуйте программу.", code="not_published")
    if program.enrolment_open:
        raise Conflict("Запись уже открыта.", code="enrolment_already_open")
    if not program.provider.accepts_enrolments:
        raise Conflict(
            "Поставщик не принимает новых детей (статус в реестре: "
            f"{program.provider.get_status_display()}).",
            code="provider_inactive",
        )
    program.enrolment_open = True
    program.save(update_fields=["enrolment_open"])
    record(actor, "catalog.enrolment_opened", program)
    return program


@atomic_retry
def close_enrolment(*, actor, program: Program) -> Program:
    authorize(actor, "catalog.publish_program", program)
    program = locked(program)
    if not program.enrolment_open:
        raise Conflict("Запись уже закрыта.", code="enrolment_already_closed")
    program.enrolment_open = False
    program.save(update_fields=["enrolment_open"])
    record(actor, "catalog.enrolment_closed", program)
    return program


@atomic_retry
def archive(*, actor, program: Program) -> Program:
    """Hide the programme for good (it keeps its history); refused while children study."""
    authorize(actor, "catalog.publish_program", program)
    program = locked(program)
    ensure_not_archived(program)
    if Group.objects.filter(module__program=program, seats_taken__gt=0).exists():
        raise Conflict(
            "В группах программы есть зачисленные дети: отправить её в архив пока нельзя.",
            code="program_in_use",
        )
    program.archived_at = clock.now()
    program.is_published = False
    program.enrolment_open = False
    program.save(update_fields=["archived_at", "is_published", "enrolment_open"])
    record(actor, "catalog.program_archived", program)
    return program
