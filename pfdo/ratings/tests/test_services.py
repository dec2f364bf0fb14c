"""Ratings services: who may rate which contract when, once, the edit window, moderation,
the reply, the aggregates (hand-checked) and the catalogue's sorting by rating."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pfdo.accounts.models import Notification
from pfdo.audit.models import ActionLog
from pfdo.catalog import services as catalog_services
from pfdo.catalog.filters import ProgramFilter
from pfdo.catalog.models import Program
from pfdo.certificates import services as certificate_services
from pfdo.common import clock
from pfdo.common.errors import Conflict, NotFound, ValidationFailed
from pfdo.common.tests.worlds import copy_of, world_once
from pfdo.providers.models import Provider
from pfdo.ratings import selectors, services
from pfdo.ratings.models import Rating, Reply
from pfdo.ratings.tests.world import SCORES, TODAY, build

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]  # also in the SQLite pass
built = world_once(build)


@pytest.fixture
def w(built, db):
    return copy_of(built)


def rate(w, key, scores=SCORES, text="", on=TODAY):
    with clock.frozen(on):
        return services.rate(
            actor=w.fams[key].parent, contract=w.contracts[key], scores=scores, text=text
        )


# ------------------------------------------------------------------ eligibility


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("a", True),  # active, October billed
        ("b", True),  # terminated after a billed month
        ("e", False),  # active, nothing billed yet
        ("f", False),  # terminated before any bill
        ("g", True),  # completed (nothing billed: completion is enough)
    ],
)
def test_which_contracts_qualify(w, key, ok):
    with clock.frozen(TODAY):
        assert selectors.eligibility(w.contracts[key]).ok is ok
    assert w.contracts["b"].status == "terminated"
    assert w.contracts["g"].status == "completed"


def test_an_unqualified_contract_is_refused_and_nothing_is_saved(w):
    before = ActionLog.objects.count()
    with pytest.raises(Conflict) as exc:
        rate(w, "e")
    assert exc.value.code == "not_eligible"
    assert "первого оплаченного месяца" in exc.value.message
    assert Rating.objects.count() == 0
    assert ActionLog.objects.count() == before


def test_a_terminated_contract_without_a_billed_month_is_refused(w):
    with pytest.raises(Conflict) as exc:
        rate(w, "f")
    assert exc.value.code == "not_eligible"
    assert not Rating.objects.exists()


def test_another_family_cannot_rate_the_contract(w):
    with clock.frozen(TODAY), pytest.raises(NotFound):
        services.rate(actor=w.fams["c"].parent, contract=w.contracts["a"], scores=SCORES)
    assert not Rating.objects.exists()


def test_staff_and_operators_cannot_rate(w):
    for actor in (w.staff1, w.operator):
        with clock.frozen(TODAY), pytest.raises(NotFound):
            services.rate(actor=actor, contract=w.contracts["a"], scores=SCORES)
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    "scores",
    [
        {"teacher_score": 0, "learning_score": 4, "organisation_score": 4},
        {"teacher_score": 6, "learning_score": 4, "organisation_score": 4},
        {"teacher_score": 5, "learning_score": "много", "organisation_score": 4},
        {"teacher_score": 5, "learning_score": 4},
        {"teacher_score": 5, "learning_score": 4, "organisation_score": True},
    ],
)
def test_scores_outside_1_to_5_are_refused_and_nothing_is_saved(w, scores):
    with pytest.raises(ValidationFailed) as exc:
        rate(w, "a", scores=scores)
    assert set(exc.value.fields) <= {"teacher_score", "learning_score", "organisation_score"}
    assert exc.value.fields
    assert all(m == ["Поставьте оценку от 1 до 5."] for m in exc.value.fields.values())
    assert not Rating.objects.exists()
    program = Program.objects.get(pk=w.program_a.pk)
    assert (program.rating_avg, program.rating_count) == (None, 0)


def test_too_long_a_text_is_refused(w):
    with pytest.raises(ValidationFailed) as exc:
        rate(w, "a", text="а" * 2001)
    assert "text" in exc.value.fields
    assert not Rating.objects.exists()


# ------------------------------------------------------------------ once per contract


def test_once_per_contract(w):
    rating = rate(w, "a", text="Ребёнку нравится")
    assert rating.text_status == Rating.TextStatus.PENDING
    assert rating.author == w.fams["a"].parent
    assert (rating.program, rating.provider) == (w.program_a, w.p1)
    with pytest.raises(Conflict) as exc:
        rate(w, "a", scores={"teacher_score": 1, "learning_score": 1, "organisation_score": 1})
    assert exc.value.code == "already_rated"
    assert Rating.objects.count() == 1
    assert Rating.objects.get().teacher_score == 5


def test_the_database_refuses_a_second_rating_and_scores_out_of_range(w):
    from django.db import IntegrityError, transaction

    rating = rate(w, "a")
    twin = Rating(
        contract=rating.contract,
        program=rating.program,
        provider=rating.provider,
        municipality=rating.municipality,
        author=rating.author,
        **SCORES,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.filter(pk=rating.pk).update(teacher_score=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reply.objects.create(rating=rating, text="Спасибо", author=w.staff1)
        Reply.objects.create(rating=rating, text="Ещё раз", author=w.staff1)


def test_rating_writes_an_action_history_row(w):
    rating = rate(w, "a")
    row = ActionLog.objects.get(action="ratings.rated")
    assert row.object_id == str(rating.pk)
    assert row.actor == w.fams["a"].parent
    assert row.municipality == w.vorkuta


# ------------------------------------------------------------------ the edit window


def test_changes_within_30_days_then_locked(w):
    rating = rate(w, "a", text="Хорошо", on=dt.datetime(2026, 11, 16, 10, 0))
    with clock.frozen(dt.datetime(2026, 12, 16, 9, 59)):
        rating = services.change(
            actor=w.fams["a"].parent,
            rating=rating,
            scores={"teacher_score": 3, "learning_score": 3, "organisation_score": 3},
            text="Хорошо",
        )
    assert rating.teacher_score == 3
    assert ActionLog.objects.filter(action="ratings.changed").count() == 1
    with clock.frozen(dt.datetime(2026, 12, 16, 10, 1)), pytest.raises(Conflict) as exc:
        services.change(actor=w.fams["a"].parent, rating=rating, scores=SCORES, text="Хорошо")
    assert exc.value.code == "edit_window_closed"
    assert Rating.objects.get().teacher_score == 3


def test_the_edit_window_is_a_setting(w, settings):
    settings.PFDO_RATING_EDIT_DAYS = 5
    rating = rate(w, "a", on=dt.datetime(2026, 11, 16, 10, 0))
    with clock.frozen(dt.datetime(2026, 11, 22, 10, 0)), pytest.raises(Conflict):
        services.change(actor=w.fams["a"].parent, rating=rating, scores=SCORES)


def test_a_changed_text_goes_back_to_moderation_and_an_emptied_one_leaves_it(w):
    rating = rate(w, "a", text="Хорошо")
    services.publish(actor=w.operator, rating=rating)
    with clock.frozen(TODAY):
        rating = services.change(
            actor=w.fams["a"].parent, rating=rating, scores=SCORES, text="Хорошо"
        )
        assert rating.text_status == Rating.TextStatus.PUBLISHED  # unchanged text stays
        rating = services.change(
            actor=w.fams["a"].parent, rating=rating, scores=SCORES, text="Очень хорошо"
        )
        assert rating.text_status == Rating.TextStatus.PENDING
        rating = services.change(actor=w.fams["a"].parent, rating=rating, scores=SCORES)
    assert (rating.text_status, rating.text) == (Rating.TextStatus.NONE, "")


def test_another_family_cannot_change_a_rating(w):
    rating = rate(w, "a")
    with clock.frozen(TODAY), pytest.raises(NotFound):
        services.change(actor=w.fams["c"].parent, rating=rating, scores=SCORES)


# ------------------------------------------------------------------ moderation and reply


def test_operator_publishes_and_hides_with_a_reason_the_author_sees(w):
    rating = rate(w, "a", text="Педагог часто опаздывает")
    rating = services.publish(actor=w.operator, rating=rating)
    assert rating.text_status == Rating.TextStatus.PUBLISHED
    assert list(Rating.objects.public()) == [rating]
    rating = services.hide(actor=w.operator, rating=rating, reason="Личные данные педагога")
    assert (rating.text_status, rating.hidden_reason) == ("hidden", "Личные данные педагога")
    assert not Rating.objects.public().exists()
    note = Notification.objects.get(user=w.fams["a"].parent, subject="Отзыв о программе скрыт")
    assert "Личные данные педагога" in note.body
    assert note.link == f"/cabinet/parent/ratings/contracts/{w.contracts['a'].pk}/"
    actions = list(
        ActionLog.objects.filter(action__startswith="ratings.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["ratings.hidden", "ratings.published", "ratings.rated"]


def test_hiding_needs_a_reason_and_nothing_changes_without_one(w):
    rating = rate(w, "a", text="Текст")
    with pytest.raises(ValidationFailed) as exc:
        services.hide(actor=w.operator, rating=rating, reason="  ")
    assert "reason" in exc.value.fields
    assert Rating.objects.get().text_status == Rating.TextStatus.PENDING


def test_another_municipality_cannot_moderate(w):
    rating = rate(w, "a", text="Текст")
    with pytest.raises(NotFound):
        services.publish(actor=w.inta_operator, rating=rating)
    assert Rating.objects.get().text_status == Rating.TextStatus.PENDING


def test_a_rating_without_text_has_nothing_to_moderate(w):
    rating = rate(w, "a")
    with pytest.raises(Conflict) as exc:
        services.publish(actor=w.operator, rating=rating)
    assert exc.value.code == "not_moderatable"


def test_provider_replies_once(w):
    rating = rate(w, "a", text="Спасибо педагогу")
    reply = services.reply(actor=w.staff1, rating=rating, text="Спасибо за отзыв!")
    assert reply.rating == rating
    assert ActionLog.objects.filter(action="ratings.replied").count() == 1
    with pytest.raises(Conflict) as exc:
        services.reply(actor=w.staff1, rating=rating, text="Ещё раз")
    assert exc.value.code == "already_replied"
    assert Reply.objects.count() == 1


def test_another_provider_cannot_reply(w):
    rating = rate(w, "a")
    with pytest.raises(NotFound):
        services.reply(actor=w.staff2, rating=rating, text="Не наш")
    with pytest.raises(ValidationFailed):
        services.reply(actor=w.staff1, rating=rating, text="   ")
    assert not Reply.objects.exists()


# ------------------------------------------------------------------ aggregates


def _figures(model, pk):
    row = model.objects.get(pk=pk)
    return row.rating_avg, row.rating_count


def test_aggregates_by_hand_and_the_three_ratings_rule(w):
    # a: 5+4+4 = 13; b: 3+3+2 = 8; c: 5+5+5 = 15; g (programme C): 1+2+3 = 6.
    rate(w, "a")
    assert _figures(Program, w.program_a.pk) == (None, 1)
    rate(w, "b", scores={"teacher_score": 3, "learning_score": 3, "organisation_score": 2})
    assert _figures(Program, w.program_a.pk) == (None, 2)
    rate(w, "c", scores={"teacher_score": 5, "learning_score": 5, "organisation_score": 5})
    # (13 + 8 + 15) / 9 = 4.00
    assert _figures(Program, w.program_a.pk) == (Decimal("4.00"), 3)
    assert _figures(Provider, w.p1.pk) == (Decimal("4.00"), 3)
    rate(w, "g", scores={"teacher_score": 1, "learning_score": 2, "organisation_score": 3})
    assert _figures(Program, w.program_c.pk) == (None, 1)
    assert _figures(Provider, w.p2.pk) == (None, 1)
    rating_d = rate(
        w, "d", scores={"teacher_score": 4, "learning_score": 5, "organisation_score": 5}
    )
    # (36 + 14) / 12 = 4.1666… → 4.17
    assert _figures(Program, w.program_a.pk) == (Decimal("4.17"), 4)
    with clock.frozen(TODAY):
        services.change(
            actor=w.fams["d"].parent,
            rating=rating_d,
            scores={"teacher_score": 1, "learning_score": 1, "organisation_score": 1},
        )
    # (36 + 3) / 12 = 3.25: recomputed, not incremented
    assert _figures(Program, w.program_a.pk) == (Decimal("3.25"), 4)
    assert _figures(Provider, w.p1.pk) == (Decimal("3.25"), 4)


def test_hidden_text_keeps_the_scores_in_the_average(w):
    for key in ("a", "b", "c"):
        rate(w, key, text="Отзыв")
    services.hide(actor=w.operator, rating=Rating.objects.first(), reason="Не по теме")
    assert _figures(Program, w.program_a.pk) == (Decimal("4.33"), 3)


def test_catalogue_sorting_puts_three_ratings_first_then_the_rest(w):
    rate(w, "g", scores={"teacher_score": 5, "learning_score": 5, "organisation_score": 5})
    for key in ("a", "b", "c"):
        rate(w, key, scores={"teacher_score": 3, "learning_score": 3, "organisation_score": 3})
    for program in (w.program_a, w.program_b, w.program_c):
        Program.objects.filter(pk=program.pk).update(is_published=True)
    # Stale data cannot jump the queue: an average stored beside one rating is not sorted on.
    Program.objects.filter(pk=w.program_b.pk).update(rating_avg=Decimal("5.00"), rating_count=1)
    qs = ProgramFilter(
        {"ordering": "-rating_avg"}, queryset=Program.objects.filter(municipality=w.vorkuta)
    ).qs
    # Then by count, then by name: «Летняя школа» (C) before «Шахматы» (B).
    assert [p.pk for p in qs] == [w.program_a.pk, w.program_c.pk, w.program_b.pk]


# ------------------------------------------------------------------ the lifecycle


def test_cancelled_certificate_ratings_stay_and_the_family_may_still_rate(w):
    rate(w, "a")
    with clock.frozen(TODAY):
        certificate_services.cancel_certificate(
            actor=w.operator, certificate=w.fams["c"].certificate, reason="переезд"
        )
        certificate_services.cancel_certificate(
            actor=w.operator, certificate=w.fams["a"].certificate, reason="переезд"
        )
    w.contracts["c"].refresh_from_db()
    assert w.contracts["c"].status == "terminated"
    rate(w, "c")
    assert Rating.objects.count() == 2
    assert _figures(Program, w.program_a.pk) == (None, 2)


def test_excluded_provider_ratings_stay_and_count(w):
    from pfdo.providers import services as provider_services

    for key in ("a", "b", "c"):
        rate(w, key)
    with clock.frozen(TODAY):
        provider_services.exclude(
            actor=w.operator,
            provider=w.p1,
            reason="Нарушения",
            contracts="terminate",
            terminate_on=TODAY,
        )
    rate(w, "d")
    assert _figures(Provider, w.p1.pk) == (Decimal("4.33"), 4)
    assert Rating.objects.filter(provider=w.p1).count() == 4


def test_archived_programme_ratings_stay_but_leave_the_public_list(w):
    rating = rate(w, "g", text="Было интересно")
    Program.objects.filter(pk=w.program_c.pk).update(is_published=True)
    services.publish(actor=w.operator, rating=rating)
    assert list(Rating.objects.public()) == [rating]
    with clock.frozen(TODAY):
        catalog_services.archive(actor=w.staff2, program=Program.objects.get(pk=w.program_c.pk))
    assert not Rating.objects.public().exists()
    assert Rating.objects.filter(pk=rating.pk).exists()
    assert _figures(Program, w.program_c.pk) == (None, 1)


def test_family_rows_say_what_may_be_rated(w):
    rate(w, "a")
    with clock.frozen(TODAY):
        rows = selectors.family_rows(w.fams["a"].parent)
    assert [(r.contract.pk, r.eligible, r.rating is not None) for r in rows] == [
        (w.contracts["a"].pk, True, True)
    ]
