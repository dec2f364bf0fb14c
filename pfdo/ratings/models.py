"""Parents' ratings of programmes (one per contract), their moderation and the provider's reply."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import transition

from pfdo.catalog.models import RATING_MIN_COUNT
from pfdo.common import clock
from pfdo.common.fsm import StateField
from pfdo.ratings.querysets import RatingQuerySet, ReplyQuerySet

# The plain criteria a parent scores, each 1..MAX_SCORE. The one place they are named:
# forms, the API, pages and the aggregate read them here.
CRITERIA: list[tuple[str, str]] = [
    ("teacher_score", "Педагог"),
    ("learning_score", "Чему научился ребёнок"),
    ("organisation_score", "Организация занятий"),
]
MIN_SCORE = 1
MAX_SCORE = 5
# A programme (and a provider) with fewer ratings shows the count, not an average.
MIN_COUNT_FOR_AVERAGE = RATING_MIN_COUNT
TEXT_MAX_LENGTH = 2000
REPLY_MAX_LENGTH = 2000


def edit_days() -> int:
    return int(getattr(settings, "PFDO_RATING_EDIT_DAYS", 30))


def _score_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label)


class Rating(models.Model):
    """A parent's rating of the programme of one contract: three scores and an optional text.

    The scores count in the averages at once; the text is shown publicly only after the
    operator publishes it. A changed text goes back to moderation.
    """

    class TextStatus(models.TextChoices):
        NONE = "none", "без отзыва"
        PENDING = "pending", "на модерации"
        PUBLISHED = "published", "опубликован"
        HIDDEN = "hidden", "скрыт модератором"

    contract = models.OneToOneField(
        "enrolment.Contract",
        verbose_name="договор",
        on_delete=models.PROTECT,
        related_name="rating",
    )
    # Denormalised from the contract's group: the aggregates and lists group by them.
    program = models.ForeignKey(
        "catalog.Program", verbose_name="программа", on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        "providers.Provider", verbose_name="поставщик", on_delete=models.PROTECT, related_name="+"
    )
    municipality = models.ForeignKey(
        "territory.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="автор",
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    teacher_score = _score_field("педагог")
    learning_score = _score_field("чему научился ребёнок")
    organisation_score = _score_field("организация занятий")
    text = models.TextField("отзыв", blank=True, max_length=TEXT_MAX_LENGTH)
    text_status = StateField(
        "отзыв", max_length=16, choices=TextStatus.choices, default=TextStatus.NONE, protected=False
    )
    hidden_reason = models.TextField("причина скрытия", blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    moderated_at = models.DateTimeField("проверен", null=True, blank=True)
    created_at = models.DateTimeField("оценено", default=clock.now)
    updated_at = models.DateTimeField("изменено", default=clock.now)

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = "оценка программы"
        verbose_name_plural = "оценки программ"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["program", "text_status"], name="ratings_program_status"),
            models.Index(fields=["municipality", "text_status"], name="ratings_muni_status"),
            models.Index(fields=["provider"], name="ratings_provider"),
        ]
        constraints = [
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": MIN_SCORE, f"{name}__lte": MAX_SCORE}),
                    name=f"ratings_{name}_1_to_5",
                    violation_error_message="Оценка — от 1 до 5.",
                )
                for name, _label in CRITERIA
            ),
            models.CheckConstraint(
                condition=~Q(text_status="hidden") | ~Q(hidden_reason=""),
                name="ratings_hidden_has_reason",
                violation_error_message="Скрытый отзыв должен иметь причину.",
            ),
            models.CheckConstraint(
                condition=Q(text_status="none", text="") | (~Q(text_status="none") & ~Q(text="")),
                name="ratings_text_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Оценка по договору {self.contract_id}"

    @property
    def scores(self) -> list[tuple[str, int]]:
        return [(label, getattr(self, name)) for name, label in CRITERIA]

    @property
    def overall(self) -> Decimal:
        """The mean of the criteria, two decimals (half up)."""
        total = sum(getattr(self, name) for name, _label in CRITERIA)
        return (Decimal(total) / len(CRITERIA)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def editable_until(self) -> dt.datetime:
        return self.created_at + dt.timedelta(days=edit_days())

    @property
    def is_editable(self) -> bool:
        return clock.now() < self.editable_until

    # ------------------------------------------------------------------ moderation of the text
    # A new or changed text waits for the operator (pending); an emptied one leaves moderation
    # (none). The operator publishes it or hides it with a reason the author sees; a hidden
    # text may be published after all, and a published one hidden.

    @transition(field=text_status, source="*", target=TextStatus.PENDING)
    def submit_text(self) -> None:
        self.hidden_reason = ""
        self.moderated_by = None
        self.moderated_at = None

    @transition(field=text_status, source="*", target=TextStatus.NONE)
    def clear_text(self) -> None:
        self.hidden_reason = ""
        self.moderated_by = None
        self.moderated_at = None

    @transition(
        field=text_status,
        source=[TextStatus.PENDING, TextStatus.HIDDEN],
        target=TextStatus.PUBLISHED,
    )
    def publish(self, *, by) -> None:
        self.hidden_reason = ""
        self.moderated_by = by
        self.moderated_at = clock.now()

    @transition(
        field=text_status,
        source=[TextStatus.PENDING, TextStatus.PUBLISHED],
        target=TextStatus.HIDDEN,
    )
    def hide(self, *, by, reason: str) -> None:
        self.hidden_reason = reason
        self.moderated_by = by
        self.moderated_at = clock.now()


class Reply(models.Model):
    """The provider's one public answer to a rating (the one-to-one makes it once)."""

    rating = models.OneToOneField(
        Rating, verbose_name="оценка", on_delete=models.CASCADE, related_name="reply"
    )
    text = models.TextField("ответ поставщика", max_length=REPLY_MAX_LENGTH)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("ответ дан", default=clock.now)

    objects = ReplyQuerySet.as_manager()

    class Meta:
        verbose_name = "ответ поставщика"
        verbose_name_plural = "ответы поставщиков"
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="ratings_reply_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Ответ на оценку {self.rating_id}"
