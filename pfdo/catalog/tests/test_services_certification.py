"""Services of the catalogue: certification states, assessments and who may move them."""

# ruff: noqa: F811  (fixtures are imported from manage_fixtures and requested by name)

import pytest

from pfdo.catalog import services
from pfdo.catalog.models import ASSESSMENT_CRITERIA
from pfdo.catalog.tests.factories import (
    ProgramFactory,
)
from pfdo.catalog.tests.manage_fixtures import (  # noqa: F401  (fixtures)
    _today,
    expert,
    other_provider,
    other_staff,
    period,
    provider,
    staff,
)
from pfdo.catalog.tests.service_helpers import (
    FULL_SCORES,
    actions,
    new_program,
    ready_program,
)
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed

# ---------------------------------------------------------------- certification


def test_certification_happy_path(staff, provider, expert, operator):
    program = ready_program(staff, provider)
    services.submit(actor=staff, program=program)
    program.refresh_from_db()
    assert program.certification_status == "submitted" and program.submission_round == 1
    with pytest.raises(Conflict) as exc:
        services.certify(actor=operator, program=program)
    assert exc.value.code == "no_assessment"
    assessment = services.assess(
        actor=expert, program=program, scores=FULL_SCORES, conclusion="recommended"
    )
    assert assessment.total_score == 4 * len(ASSESSMENT_CRITERIA)
    with pytest.raises(Conflict) as exc:
        services.assess(actor=expert, program=program, scores=FULL_SCORES, conclusion="recommended")
    assert exc.value.code == "already_assessed"
    services.certify(actor=operator, program=program)
    program.refresh_from_db()
    assert program.is_certified and program.certification_decided_at
    assert services.publication_problems(program) == []
    for action in ("program_submitted", "program_assessed", "program_certified"):
        assert actions(f"catalog.{action}").count() == 1


def test_reject_needs_a_reason_and_resubmission_opens_a_new_round(
    staff, provider, expert, operator
):
    program = ready_program(staff, provider)
    services.submit(actor=staff, program=program)
    with pytest.raises(ValidationFailed) as exc:
        services.reject_certification(actor=operator, program=program, reason="  ")
    assert exc.value.fields == {"reason": ["Укажите причину отказа."]}
    services.reject_certification(actor=operator, program=program, reason="Нет учебного плана.")
    program.refresh_from_db()
    assert program.certification_status == "rejected"
    assert program.certification_reason == "Нет учебного плана."
    services.update_program(actor=staff, program=program, goals="Учебный план приложен.")
    services.submit(actor=staff, program=program)
    program.refresh_from_db()
    assert program.submission_round == 2 and program.certification_reason == ""
    # A new round: the same expert assesses again.
    services.assess(actor=expert, program=program, scores=FULL_SCORES, conclusion="recommended")
    assert program.assessments.filter(round=2).count() == 1
    assert actions("catalog.certification_rejected").get().details["reason"]


def test_submit_refuses_an_incomplete_card(staff, provider):
    program = new_program(staff, provider, description="")
    with pytest.raises(Conflict) as exc:
        services.submit(actor=staff, program=program)
    assert "Добавьте описание программы." in exc.value.fields["problems"]
    assert "Добавьте хотя бы один модуль." in exc.value.fields["problems"]
    program.refresh_from_db()
    assert program.certification_status == "draft"
    assert not actions("catalog.program_submitted").exists()


def test_assessment_scores_are_validated(staff, provider, expert):
    program = ready_program(staff, provider)
    services.submit(actor=staff, program=program)
    scores = {**FULL_SCORES, "relevance": 6, "goals": "пять"}
    del scores["content"]
    with pytest.raises(ValidationFailed) as exc:
        services.assess(actor=expert, program=program, scores=scores, conclusion="not_recommended")
    assert set(exc.value.fields) == {
        "scores.relevance",
        "scores.goals",
        "scores.content",
        "comment",
    }
    assert not program.assessments.exists()


def test_who_may_move_the_certification(staff, provider, other_staff, expert, operator, make_user):
    program = ready_program(staff, provider)
    with pytest.raises(AccessDenied):
        services.submit(actor=other_staff, program=program)
    services.submit(actor=staff, program=program)
    with pytest.raises(AccessDenied):
        services.assess(actor=staff, program=program, scores=FULL_SCORES, conclusion="recommended")
    services.assess(actor=expert, program=program, scores=FULL_SCORES, conclusion="recommended")
    foreign_operator = make_user("operator", municipality=ProgramFactory().municipality)
    with pytest.raises(AccessDenied):
        services.certify(actor=foreign_operator, program=program)
    with pytest.raises(AccessDenied):
        services.certify(actor=expert, program=program)
    with pytest.raises(AccessDenied):
        services.set_registries(actor=staff, program=program, budget_registry="other")
    program.refresh_from_db()
    assert program.certification_status == "submitted"


def test_paid_only_and_certification_exclude_each_other(staff, provider, operator):
    program = ready_program(staff, provider)
    services.set_registries(actor=operator, program=program, paid_only=True)
    with pytest.raises(Conflict) as exc:
        services.submit(actor=staff, program=program)
    assert exc.value.code == "paid_only"
    # A registry refused by the stored «только платная»: the programme's state (409), on the
    # field sent.
    with pytest.raises(Conflict) as exc:
        services.set_registries(actor=operator, program=program, budget_registry="significant")
    assert (exc.value.code, list(exc.value.fields)) == ("paid_only_refused", ["budget_registry"])
    # Both in one request contradict each other: the body's own 400.
    with pytest.raises(ValidationFailed) as exc:
        services.set_registries(
            actor=operator, program=program, budget_registry="significant", paid_only=True
        )
    assert exc.value.fields == {
        "paid_only": ["Программа бюджетного реестра не может быть только платной."]
    }
    # Both sent and agreeing: fine.
    services.set_registries(
        actor=operator, program=program, budget_registry="significant", paid_only=False
    )
    with pytest.raises(Conflict) as exc:
        services.set_registries(actor=operator, program=program, paid_only=True)
    assert (exc.value.code, list(exc.value.fields)) == ("paid_only_refused", ["paid_only"])
    certified = ProgramFactory(provider=provider)
    with pytest.raises(Conflict) as exc:
        services.set_registries(actor=operator, program=certified, paid_only=True)
    assert exc.value.code == "paid_only_refused"
    assert exc.value.fields["paid_only"][0].startswith("Сертифицированная программа")


def test_operator_returns_a_rejected_programme_to_draft(staff, provider, operator):
    program = ready_program(staff, provider)
    services.submit(actor=staff, program=program)
    services.reject_certification(actor=operator, program=program, reason="Доработать цели.")
    services.return_to_draft(actor=operator, program=program)
    program.refresh_from_db()
    assert program.certification_status == "draft"
    assert actions("catalog.program_returned_to_draft").count() == 1
    with pytest.raises(Conflict):
        services.return_to_draft(actor=operator, program=program)
