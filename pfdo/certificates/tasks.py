"""The certificates' background job: filing a checked import file (imports/jobs.py)."""

from __future__ import annotations

from pfdo.certificates import imports
from pfdo.common.errors import DomainError
from pfdo.jobs import registry


@registry.handler(imports.IMPORT_JOB, label="Загрузка детей из файла")
def children_import(job, progress) -> dict:
    try:
        result = imports.run_import(job, progress)
    except DomainError:
        imports.discard_file(job)  # the job ends refused: nothing will read the file again
        raise
    lines = [f"Загружено заявлений: {result.imported}"]
    if result.skipped:
        lines.append(f"Пропущено строк с ошибками: {result.skipped}")
    lines.append(
        f"Новых учётных записей родителей: {result.parents_created}; привязано к "
        f"существующим: {result.parents_existing}"
    )
    if not result.approved:
        lines.append("Заявления ждут решения в очереди заявлений.")
    else:
        lines += [
            f"Выдано сертификатов финансирования: {result.financing}, сертификатов учёта: "
            f"{result.accounting}",
            f"Родителей уведомлено о логине: {result.notified}. Пароли на этой странице не "
            "показываются: пароль родитель получает у оператора или задаёт сам через "
            "«Забыли пароль?».",
        ]
    return {
        "summary": f"Загружено заявлений: {result.imported}.",
        "lines": lines,
        "data": {
            "imported": result.imported,
            "skipped": result.skipped,
            "parents_created": result.parents_created,
            "parents_existing": result.parents_existing,
            "approved": result.approved,
            "financing": result.financing,
            "accounting": result.accounting,
            "notified": result.notified,
        },
    }
