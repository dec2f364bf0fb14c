"""API shapes of ratings. No personal data: the author is only «Родитель», the child never
appears; the text of an unpublished review and the moderator's reason only for the family
and the officials."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pfdo.common.ids import MAX_ID
from pfdo.ratings import selectors
from pfdo.ratings.models import (
    CRITERIA,
    MAX_SCORE,
    MIN_SCORE,
    REPLY_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Rating,
    Reply,
)

SCORE_MESSAGE = f"Оценка — целое число от {MIN_SCORE} до {MAX_SCORE}."


def _score(label: str, *, required: bool = True) -> serializers.IntegerField:
    return serializers.IntegerField(
        label=label,
        min_value=MIN_SCORE,
        max_value=MAX_SCORE,
        required=required,
        help_text=f"{label}: от {MIN_SCORE} до {MAX_SCORE}.",
        error_messages={
            "invalid": SCORE_MESSAGE,
            "min_value": SCORE_MESSAGE,
            "max_value": SCORE_MESSAGE,
            "required": "Поставьте оценку.",
            "null": "Поставьте оценку.",
            "max_string_length": SCORE_MESSAGE,
        },
    )


class ReplySerializer(serializers.ModelSerializer):
    class Meta:
        model = Reply
        fields = ["text", "created_at"]
        read_only_fields = fields


class RatingSerializer(serializers.ModelSerializer):
    """A rating as the viewer may see it (the view puts the viewer's relations in context)."""

    program_name = serializers.CharField(source="program.name", read_only=True)
    provider_name = serializers.CharField(source="provider.short_name", read_only=True)
    author = serializers.SerializerMethodField(help_text="Всегда «Родитель»: без имён.")
    overall = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        read_only=True,
        help_text="Среднее по трём критериям.",
    )
    contract = serializers.SerializerMethodField(
        help_text="Договор — только семье, поставщику и оператору; остальным null."
    )
    text = serializers.SerializerMethodField(
        help_text="Текст отзыва: всем — опубликованный; неопубликованный — только семье и "
        "оператору (поставщику — пустая строка)."
    )
    hidden_reason = serializers.SerializerMethodField(
        help_text="Причина скрытия — только семье и оператору."
    )
    editable_until = serializers.DateTimeField(
        read_only=True, help_text="До этого момента семья может изменить оценку."
    )
    reply = serializers.SerializerMethodField(help_text="Публичный ответ поставщика или null.")

    class Meta:
        model = Rating
        fields = [
            "id",
            "program",
            "program_name",
            "provider",
            "provider_name",
            "contract",
            "author",
            *[name for name, _label in CRITERIA],
            "overall",
            "text",
            "text_status",
            "hidden_reason",
            "created_at",
            "updated_at",
            "editable_until",
            "reply",
        ]
        read_only_fields = fields

    def _relation(self, rating: Rating) -> set[str]:
        return self.context.get("relations", lambda r: set())(rating)

    def get_author(self, rating: Rating) -> str:
        return "Родитель"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_contract(self, rating: Rating) -> int | None:
        return rating.contract_id if self._relation(rating) else None

    def get_text(self, rating: Rating) -> str:
        if rating.text_status == Rating.TextStatus.PUBLISHED:
            return rating.text
        return rating.text if self._relation(rating) & {"family", "official"} else ""

    def get_hidden_reason(self, rating: Rating) -> str:
        return rating.hidden_reason if self._relation(rating) & {"family", "official"} else ""

    @extend_schema_field(ReplySerializer(allow_null=True))
    def get_reply(self, rating: Rating):
        reply = selectors.reply_of(rating)
        return ReplySerializer(reply).data if reply is not None else None


class RatingCreateSerializer(serializers.Serializer):
    contract = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="Договор ребёнка (id), по программе которого ставится оценка.",
        error_messages={
            "invalid": "Договор — целое положительное число (id).",
            "min_value": "Договор — целое положительное число (id).",
            "max_value": "Договор — целое положительное число (id).",
            "required": "Укажите договор.",
            "null": "Укажите договор.",
        },
    )
    teacher_score = _score(CRITERIA[0][1])
    learning_score = _score(CRITERIA[1][1])
    organisation_score = _score(CRITERIA[2][1])
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=TEXT_MAX_LENGTH,
        default="",
        help_text="Отзыв по желанию; публикуется после проверки модератором.",
        error_messages={"max_length": f"Отзыв — не длиннее {TEXT_MAX_LENGTH} символов."},
    )


class RatingUpdateSerializer(serializers.Serializer):
    teacher_score = _score(CRITERIA[0][1], required=False)
    learning_score = _score(CRITERIA[1][1], required=False)
    organisation_score = _score(CRITERIA[2][1], required=False)
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text="Новый текст отзыва (пустая строка убирает отзыв); изменённый текст снова "
        "проходит модерацию.",
        error_messages={"max_length": f"Отзыв — не длиннее {TEXT_MAX_LENGTH} символов."},
    )


class HideSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=1000,
        help_text="Причина скрытия: её увидит автор.",
        error_messages={
            "required": "Укажите причину: её увидит автор отзыва.",
            "blank": "Укажите причину: её увидит автор отзыва.",
            "max_length": "Причина — не длиннее 1000 символов.",
        },
    )


class ReplyCreateSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=REPLY_MAX_LENGTH,
        help_text="Публичный ответ поставщика; дать его можно один раз.",
        error_messages={
            "required": "Напишите ответ.",
            "blank": "Напишите ответ.",
            "max_length": f"Ответ — не длиннее {REPLY_MAX_LENGTH} символов.",
        },
    )
