"""Write use-cases of ratings: the parent rates and changes a rating, the operator moderates
its text, the provider replies once. Each keeps the programme's and provider's figures."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from pfdo.accounts import services as accounts
from pfdo.audit import services as audit
from pfdo.catalog import services as catalog_services
from pfdo.common import authz, clock
from pfdo.common.errors import Conflict, NotFound, ValidationFailed
from pfdo.enrolment.models import Contract
from pfdo.providers import services as provider_services
from pfdo.ratings import selectors
from pfdo.ratings.models import (
    CRITERIA,
    MAX_SCORE,
    MIN_SCORE,
    REPLY_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Rating,
    Reply,
    edit_days,
)

SCORE_ERROR = f"Поставьте оценку от {MIN_SCORE} до {MAX_SCORE}."
REASON_MAX_LENGTH = 1000


def _text(value) -> str:
    return str(value or "").strip()


def _clean(scores: Mapping[str, object], text: str) -> tuple[dict[str, int], str]:
    """The scores as integers 1..5 and the text; every bad field named, nothing written."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for name, _label in CRITERIA:
        value = scores.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(str(value).strip())
            except (TypeError, ValueError):
                errors[name] = [SCORE_ERROR]
                continue
        if not MIN_SCORE <= value <= MAX_SCORE:
            errors[name] = [SCORE_ERROR]
            continue
        clean[name] = value
    if len(text) > TEXT_MAX_LENGTH:
        errors["text"] = [f"Отзыв — не длиннее {TEXT_MAX_LENGTH} символов."]
    if errors:
        raise ValidationFailed(fields=errors)
    return clean, text


def _refresh_figures(rating: Rating) -> None:
    """The programme's and the provider's averages, recomputed under their row locks
    (programme first, then provider)."""
    catalog_services.refresh_program_rating(
        rating.program_id, lambda: selectors.program_aggregate(rating.program_id)
    )
    provider_services.refresh_provider_rating(
        rating.provider_id, lambda: selectors.provider_aggregate(rating.provider_id)
    )


def _locked_contract(contract_id: int) -> Contract:
    contract = (
        Contract.objects.select_for_update()
        .select_related("group__module__program")
        .filter(pk=contract_id)
        .first()
    )
    if contract is None:
        raise NotFound("Договор не найден.")
    return contract


def rate(*, actor, contract: Contract, scores: Mapping[str, object], text: str = "") -> Rating:
    """The parent rates the programme of their child's contract, once per contract."""
    authz.authorize(actor, "ratings.rate", contract, hide=True)
    clean, text = _clean(scores, _text(text))
    with transaction.atomic():
        contract = _locked_contract(contract.pk)
        if Rating.objects.filter(contract=contract).exists():
            raise Conflict(
                "Программа по этому договору уже оценена: оценку можно изменить в течение "
                "срока изменения.",
                code="already_rated",
            )
        allowed = selectors.eligibility(contract)
        if not allowed.ok:
            raise Conflict(allowed.reason, code="not_eligible")
        now = clock.now()
        rating = Rating(
            contract=contract,
            program=contract.group.module.program,
            provider_id=contract.provider_id,
            municipality_id=contract.municipality_id,
            author=actor,
            text=text,
            created_at=now,
            updated_at=now,
            **clean,
        )
        if text:
            rating.submit_text()
        try:
            with transaction.atomic():
                rating.save()
        except IntegrityError as exc:  # a second tab won the race for the one-to-one
            raise Conflict(
                "Программа по этому договору уже оценена.", code="already_rated"
            ) from exc
        _refresh_figures(rating)
        audit.record(
            actor=actor,
            action="ratings.rated",
            obj=rating,
            municipality=contract.municipality,
            details={"contract": contract.pk, "program": rating.program_id, **clean},
        )
    return rating


def change(*, actor, rating: Rating, scores: Mapping[str, object], text: str = "") -> Rating:
    """The parent changes the scores or the text within the edit window; a changed text goes
    back to moderation, an emptied one leaves it."""
    authz.authorize(actor, "ratings.change", rating, hide=True)
    clean, text = _clean(scores, _text(text))
    with transaction.atomic():
        rating = Rating.objects.select_for_update().get(pk=rating.pk)
        if not rating.is_editable:
            raise Conflict(
                f"Оценку можно изменить в течение {edit_days()} дней после того, как она "
                f"поставлена (до {timezone.localtime(rating.editable_until):%d.%m.%Y}); теперь она закреплена.",
                code="edit_window_closed",
            )
        text_changed = text != rating.text
        for name, value in clean.items():
            setattr(rating, name, value)
        if text_changed:
            rating.text = text
            if text:
                rating.submit_text()
            else:
                rating.clear_text()
        rating.updated_at = clock.now()
        rating.save()
        _refresh_figures(rating)
        audit.record(
            actor=actor,
            action="ratings.changed",
            obj=rating,
            municipality=rating.municipality,
            details={"text_changed": text_changed, **clean},
        )
    return rating


def _locked_for_moderation(rating: Rating) -> Rating:
    return Rating.objects.select_for_update().get(pk=rating.pk)


def publish(*, actor, rating: Rating) -> Rating:
    """The operator publishes the text (also one hidden before)."""
    authz.authorize(actor, "ratings.moderate", rating, hide=True)
    with transaction.atomic():
        rating = _locked_for_moderation(rating)
        if rating.text_status not in (Rating.TextStatus.PENDING, Rating.TextStatus.HIDDEN):
            raise Conflict("Этот отзыв не ждёт решения.", code="not_moderatable")
        rating.publish(by=actor)
        rating.save()
        audit.record(
            actor=actor, action="ratings.published", obj=rating, municipality=rating.municipality
        )
    return rating


def hide(*, actor, rating: Rating, reason: str) -> Rating:
    """The operator hides the text with a reason the author sees (in the cabinet and a notice)."""
    authz.authorize(actor, "ratings.moderate", rating, hide=True)
    reason = _text(reason)
    if not reason:
        raise ValidationFailed(fields={"reason": ["Укажите причину: её увидит автор отзыва."]})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            fields={"reason": [f"Причина — не длиннее {REASON_MAX_LENGTH} символов."]}
        )
    with transaction.atomic():
        rating = _locked_for_moderation(rating)
        if rating.text_status not in (Rating.TextStatus.PENDING, Rating.TextStatus.PUBLISHED):
            raise Conflict("Этот отзыв уже скрыт или в нём нет текста.", code="not_moderatable")
        rating.hide(by=actor, reason=reason)
        rating.save()
        audit.record(
            actor=actor,
            action="ratings.hidden",
            obj=rating,
            municipality=rating.municipality,
            details={"reason": reason},
        )
        accounts.notify(
            user=rating.author,
            subject="Отзыв о программе скрыт",
            body=f"Модератор скрыл ваш отзыв о программе «{rating.program.name}». Причина: "
            f"{reason}",
            link=reverse("ratings:rate", args=[rating.contract_id]),
        )
    return rating


def reply(*, actor, rating: Rating, text: str) -> Reply:
    """The provider answers a rating once, publicly (shown under a published review)."""
    authz.authorize(actor, "ratings.reply", rating, hide=True)
    text = _text(text)
    if not text:
        raise ValidationFailed(fields={"text": ["Напишите ответ."]})
    if len(text) > REPLY_MAX_LENGTH:
        raise ValidationFailed(
            fields={"text": [f"Ответ — не длиннее {REPLY_MAX_LENGTH} символов."]}
        )
    with transaction.atomic():
        rating = Rating.objects.select_for_update().get(pk=rating.pk)
        if Reply.objects.filter(rating=rating).exists():
            raise Conflict("Поставщик уже ответил на эту оценку.", code="already_replied")
        answer = Reply(rating=rating, text=text, author=actor, created_at=clock.now())
        try:
            with transaction.atomic():
                answer.save()
        except IntegrityError as exc:
            raise Conflict("Поставщик уже ответил на эту оценку.", code="already_replied") from exc
        audit.record(
            actor=actor,
            action="ratings.replied",
            obj=rating,
            municipality=rating.municipality,
            details={"reply": answer.pk},
        )
    return answer
