"""Forms of ratings: the parent's scores and text, the operator's reason, the provider's reply."""

from __future__ import annotations

from django import forms

from pfdo.ratings.models import (
    CRITERIA,
    MAX_SCORE,
    MIN_SCORE,
    REPLY_MAX_LENGTH,
    TEXT_MAX_LENGTH,
)

SCORE_CHOICES = [(str(n), str(n)) for n in range(MAX_SCORE, MIN_SCORE - 1, -1)]
_SCORE_ERRORS = {
    "required": "Поставьте оценку от 1 до 5.",
    "invalid_choice": "Поставьте оценку от 1 до 5.",
}


class RatingForm(forms.Form):
    """Three scores 1..5 (radio buttons, 5 first) and an optional text."""

    text = forms.CharField(
        label="Отзыв (по желанию)",
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Текст появится на странице программы после проверки модератором. Не пишите "
        "имена детей и другие личные данные.",
        error_messages={"max_length": f"Отзыв — не длиннее {TEXT_MAX_LENGTH} символов."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scores = {
            name: forms.TypedChoiceField(
                label=label,
                choices=SCORE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages=_SCORE_ERRORS,
            )
            for name, label in CRITERIA
        }
        # The scores before the text.
        self.fields = {**scores, **self.fields}

    @property
    def score_fields(self):
        return [self[name] for name, _label in CRITERIA]

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name, _label in CRITERIA}


class HideForm(forms.Form):
    reason = forms.CharField(
        label="Причина скрытия (её увидит автор)",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Укажите причину: её увидит автор отзыва.",
            "max_length": "Причина — не длиннее 1000 символов.",
        },
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="Ответ поставщика (публичный, один раз)",
        max_length=REPLY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Напишите ответ.",
            "max_length": f"Ответ — не длиннее {REPLY_MAX_LENGTH} символов.",
        },
    )
