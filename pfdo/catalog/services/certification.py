"""Certification of a programme: the provider submits, experts assess, the operator decides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from pfdo.catalog.models import ASSESSMENT_CRITERIA, ASSESSMENT_MAX_SCORE, Assessment, Program
from pfdo.catalog.services._common import authorize, ensure_not_archived, locked, record
from pfdo.catalog.services.normative_cost import recompute_program_modules
from pfdo.catalog.services.problems import ProgramIncomplete, card_problems
from pfdo.common import clock
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.transactions import atomic_retry


@atomic_retry
def submit(*, actor, program: Program) -> Program:
    """Send the card to certification (a new round of expert assessment)."""
    authorize(actor, "catalog.submit_program", program)
    program = locked(program)
    ensure_not_archived(program)
    if program.certification_status not in (
        Program.Certification.DRAFT,
        Program.Certification.REJECTED,
    ):
        raise Conflict(
            f"Программа уже {program.get_certification_status_display()}.",
            code="invalid_certification_state",
        )
    if program.paid_only:
        raise Conflict(
            "Программа отмечена как «только платная»: она не проходит сертификацию.",
            code="paid_only",
        )
    problems = card_problems(program)
    if problems:
        raise ProgramIncomplete(
            "Карточка программы заполнена не полностью: " + " ".join(problems),
            fields={"problems": problems},
        )
    program.submit()
    program.submission_round += 1
    program.submitted_at = clock.now()
    program.certification_reason = ""
    program.save(
        update_fields=[
            "certification_status",
            "submission_round",
            "submitted_at",
            "certification_reason",
        ]
    )
    record(actor, "catalog.program_submitted", program, round=program.submission_round)
    return program


def _validate_scores(scores: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    clean: dict[str, int] = {}
    errors: dict[str, str] = {}
    for code, _label in ASSESSMENT_CRITERIA:
        value = scores.get(code)
        if isinstance(value, bool) or not isinstance(value, int):
            errors[f"scores.{code}"] = f"Поставьте оценку от 0 до {ASSESSMENT_MAX_SCORE}."
        elif not 0 <= value <= ASSESSMENT_MAX_SCORE:
            errors[f"scores.{code}"] = f"Оценка — от 0 до {ASSESSMENT_MAX_SCORE}."
        else:
            clean[code] = value
    for code in set(scores) - {code for code, _ in ASSESSMENT_CRITERIA}:
        errors[f"scores.{code}"] = "Такого критерия нет."
    return clean, errors


@atomic_retry
def assess(
    *,
    actor,
    program: Program,
    scores: Mapping[str, Any],
    conclusion: str,
    comment: str = "",
) -> Assessment:
    """An expert's assessment of the submitted programme: once per expert per round."""
    authorize(actor, "catalog.assess_program", program)
    program = locked(program)
    if program.certification_status != Program.Certification.SUBMITTED:
        raise Conflict("Оценивать можно только программу на сертификации.", code="not_submitted")
    clean, errors = _validate_scores(scores)
    if conclusion not in Assessment.Conclusion.values:
        errors["conclusion"] = "Выберите заключение."
    comment = (comment or "").strip()
    if conclusion == Assessment.Conclusion.NOT_RECOMMENDED and not comment:
        errors["comment"] = "Объясните, почему программа не рекомендована."
    if errors:
        raise ValidationFailed(fields=errors)
    round_ = program.submission_round
    duplicate = Conflict("Вы уже оценили программу в этом раунде.", code="already_assessed")
    if Assessment.objects.filter(program=program, expert=actor, round=round_).exists():
        raise duplicate
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                program=program,
                expert=actor,
                round=round_,
                scores=clean,
                total_score=sum(clean.values()),
                conclusion=conclusion,
                comment=comment,
            )
    except IntegrityError as exc:
        raise duplicate from exc
    record(
        actor,
        "catalog.program_assessed",
        program,
        round=round_,
        total_score=assessment.total_score,
        conclusion=conclusion,
    )
    return assessment


@atomic_retry
def certify(*, actor, program: Program, comment: str = "") -> Program:
    """The operator includes the programme in the certified registry."""
    authorize(actor, "catalog.decide_certification", program)
    program = locked(program)
    if program.certification_status != Program.Certification.SUBMITTED:
        raise Conflict("Решение принимается по программе на сертификации.", code="not_submitted")
    if program.paid_only:
        raise Conflict("Программа отмечена как «только платная».", code="paid_only")
    count = program.assessments.filter(round=program.submission_round).count()
    if count == 0:
        raise Conflict(
            "Нужна хотя бы одна экспертная оценка этого раунда сертификации.",
            code="no_assessment",
        )
    program.certify()
    program.certification_reason = (comment or "").strip()
    program.certification_decided_at = clock.now()
    program.save(
        update_fields=["certification_status", "certification_reason", "certification_decided_at"]
    )
    recompute_program_modules(program)
    record(actor, "catalog.program_certified", program, assessments=count)
    return program


@atomic_retry
def reject_certification(*, actor, program: Program, reason: str) -> Program:
    authorize(actor, "catalog.decide_certification", program)
    program = locked(program)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину отказа."})
    if program.certification_status != Program.Certification.SUBMITTED:
        raise Conflict("Решение принимается по программе на сертификации.", code="not_submitted")
    program.reject_certification()
    program.certification_reason = reason
    program.certification_decided_at = clock.now()
    program.save(
        update_fields=["certification_status", "certification_reason", "certification_decided_at"]
    )
    record(actor, "catalog.certification_rejected", program, reason=reason[:500])
    return program


@atomic_retry
def return_to_draft(*, actor, program: Program, reason: str = "") -> Program:
    """Withdraw from certification (provider) or send back for rework (operator)."""
    authorize(actor, "catalog.return_to_draft", program)
    program = locked(program)
    if program.certification_status not in (
        Program.Certification.SUBMITTED,
        Program.Certification.REJECTED,
    ):
        raise Conflict(
            "В черновик возвращается программа на сертификации или с отказом.",
            code="invalid_certification_state",
        )
    program.return_to_draft()
    reason = (reason or "").strip()
    if reason:
        program.certification_reason = reason
    program.save(update_fields=["certification_status", "certification_reason"])
    record(actor, "catalog.program_returned_to_draft", program, reason=reason[:500])
    return program
