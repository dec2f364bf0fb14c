"""What keeps a programme from certification or publication, and the guard that a published
programme stays complete."""

from __future__ import annotations

from pfdo.catalog.models import Group, Program
from pfdo.common.errors import Conflict


class ProgramIncomplete(Conflict):
    """Publication or certification refused: the card misses something (listed in fields)."""

    code = "program_incomplete"
    default_message = "Программа заполнена не полностью."


def card_problems(program: Program) -> list[str]:
    """What the card lacks to be sent to certification (Russian, one line each)."""
    problems = []
    if not program.description.strip():
        problems.append("Добавьте описание программы.")
    if not program.address.strip():
        problems.append("Укажите адрес проведения занятий.")
    if program.age_from_months is None or program.age_to_months is None:
        problems.append("Укажите возрастной диапазон детей.")
    modules = list(program.modules.all())
    if not modules:
        problems.append("Добавьте хотя бы один модуль.")
    for module in modules:
        if module.price_kopecks is None:
            problems.append(f"Укажите цену модуля «{module.name}».")
    return problems


def _has_ready_group(program: Program) -> bool:
    # Lists annotate it (selectors.with_ready_group) so a page of programmes is one query.
    annotated = getattr(program, "has_ready_group", None)
    if annotated is not None:
        return annotated
    return Group.objects.filter(
        module__program=program,
        starts_on__isnull=False,
        ends_on__isnull=False,
        schedule__isnull=False,
    ).exists()


def _content_problems(program: Program) -> list[str]:
    problems = card_problems(program)
    if not _has_ready_group(program):
        problems.append("Добавьте хотя бы одну группу с датами занятий и расписанием.")
    if not (
        program.is_certified
        or program.budget_registry != Program.BudgetRegistry.NONE
        or program.paid_only
    ):
        problems.append(
            "Программа должна быть сертифицирована, включена оператором в бюджетный реестр "
            "или отмечена как «только платная» — иначе на неё нельзя записаться."
        )
    return problems


def publication_problems(program: Program) -> list[str]:
    """Everything that keeps the programme from publication (empty: it may be published)."""
    problems = []
    if program.archived_at is not None:
        problems.append("Программа в архиве.")
    problems += _content_problems(program)
    provider = program.provider
    if not provider.accepts_enrolments:
        problems.append(
            f"Поставщик не в реестре (статус: {provider.get_status_display()}): "
            "публикация недоступна."
        )
    return problems


def ensure_still_publishable(program: Program) -> None:
    """A published programme must stay complete: refuse an edit that would break it."""
    if not program.is_published:
        return
    problems = _content_problems(program)
    if problems:
        raise ProgramIncomplete(
            "Программа опубликована, и после этого изменения в ней не будет хватать нужного: "
            + " ".join(problems)
            + " Сначала снимите программу с публикации.",
            fields={"problems": problems},
        )
