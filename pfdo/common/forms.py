"""Form fields shared by the apps: money and person names typed by people."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from pfdo.common.low_vision import NORMAL, LowVision
from pfdo.common.money import format_kopecks
from pfdo.common.validators import validate_person_name

# Above any real budget of one municipality; keeps typos like an extra "000000" out.
MAX_KOPECKS = 10**15

SPACES = re.compile(r"[\s\u00a0\u202f]+")
_AMOUNT = re.compile(r"-?\d+(?:\.\d+)?")


class PersonNameField(forms.CharField):
    """A surname, first name or patronymic: letters, spaces, hyphens, apostrophes."""

    default_validators = [validate_person_name]

    def __init__(self, *, max_length: int = 150, **kwargs):
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value):
        # Runs of spaces (and a tab or NBSP pasted from a document) become one space.
        return " ".join(super().to_python(value).split())


class RoublesField(forms.CharField):
    """An amount in roubles ("24 171,00", "24171.5", "110") cleaned to integer kopecks.

    Decimal arithmetic only: "0,1" + "0,2" stays exact; more than two decimals is refused
    rather than rounded, since nobody means a fraction of a kopeck.
    """

    default_error_messages = {
        "invalid": "Введите сумму в рублях, например 24 171,00.",
        "negative": "Сумма не может быть отрицательной.",
        "precision": "Не больше двух знаков после запятой (копейки).",
        "too_large": "Слишком большая сумма.",
    }

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(inputmode="decimal", maxlength="30")
        return attrs

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return format_kopecks(value, currency=False).replace("\u00a0", " ")
        return value

    def to_python(self, value):
        # A disabled field cleans its initial value, which is already kopecks.
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = SPACES.sub("", text).removesuffix("₽").removesuffix("руб.").replace(",", ".")
        if not _AMOUNT.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        amount = Decimal(text)
        if amount < 0:
            raise forms.ValidationError(self.error_messages["negative"], code="negative")
        kopecks = amount * 100
        if kopecks != kopecks.to_integral_value():
            raise forms.ValidationError(self.error_messages["precision"], code="precision")
        if kopecks > MAX_KOPECKS:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        return int(kopecks)


class ModelChoiceField(forms.ModelChoiceField):
    """Django's ModelChoiceField refusing a NUL byte before the look-up: PostgreSQL cannot
    compare text with NUL and would fail with a DataError (a 500) instead of a field error."""

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


SELECTED = mark_safe(" selected")


def select_options(choices, selected) -> str:
    """The `<option>`s of a long hand-written `<select>` (the catalogue's hundreds of
    providers at region scale) as one escaped string, built in Python rather than by a
    template loop of several nodes per option."""
    chosen = str(selected or "")
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, SELECTED if str(value) == chosen else "", label) for value, label in choices),
    )


def _setting(label: str, choices: list[tuple[str, str]], **kwargs) -> forms.TypedChoiceField:
    """One setting of the low-vision form: a radio list, optional (None when not sent)."""
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        **kwargs,
    )


class LowVisionForm(forms.Form):
    """The settings of the version for the visually impaired (pfdo/common/low_vision.py).

    Every field is optional: the quick panel under the header sends one setting at a time and
    the others keep their current values; `reset` returns to the normal version.
    """

    font = _setting(
        "Размер текста",
        [
            ("0", "Обычный (100 %)"),
            ("1", "Крупный (120 %)"),
            ("2", "Очень крупный (150 %)"),
            ("3", "Самый крупный (200 %)"),
        ],
        coerce=int,
    )
    contrast = _setting(
        "Цвета",
        [
            ("normal", "Обычные цвета сайта"),
            ("bw", "Чёрный текст на белом фоне"),
            ("wb", "Белый текст на чёрном фоне"),
        ],
    )
    images = _setting(
        "Изображения",
        [("on", "Показывать"), ("off", "Не показывать (вместо них — их описание)")],
    )
    spacing = _setting(
        "Интервал между буквами и строками", [("normal", "Обычный"), ("wide", "Увеличенный")]
    )
    reset = forms.BooleanField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, settings) -> dict:
        return {
            "font": str(settings.font),
            "contrast": settings.contrast,
            "images": "on" if settings.images else "off",
            "spacing": "wide" if settings.wide_spacing else "normal",
        }

    def chosen(self, current):
        """The settings after this (valid) submission, starting from `current`."""
        data = self.cleaned_data
        if data.get("reset"):
            return NORMAL
        return LowVision(
            font=current.font if data.get("font") is None else data["font"],
            contrast=data.get("contrast") or current.contrast,
            images=current.images if data.get("images") is None else data["images"] == "on",
            wide_spacing=(
                current.wide_spacing if data.get("spacing") is None else data["spacing"] == "wide"
            ),
        )
