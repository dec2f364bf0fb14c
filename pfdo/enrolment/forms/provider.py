"""Forms of the provider's and the operator's enrolment pages: filters, decisions, in person,
the look-up of a certificate and the operator's report of look-ups."""

from __future__ import annotations

import re

from django import forms

from pfdo.common.forms import ModelChoiceField
from pfdo.enrolment.models import Contract
from pfdo.enrolment.selectors import INCOMING

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _blank(choices, label: str) -> list[tuple[str, str]]:
    return [("", label), *choices]


def _pk(obj) -> int | None:
    return obj.pk if obj is not None else None


class _GroupLabel(ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.module.program.name} — {obj.name}"


# ------------------------------------------------------------------------- applications


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Статус",
        required=False,
        choices=_blank([(s.value, s.label) for s in INCOMING], "Все ждущие"),
    )
    program = ModelChoiceField(label="Программа", required=False, queryset=None)
    group = _GroupLabel(label="Группа", required=False, queryset=None)

    def __init__(self, *args, programs, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
        self.fields["program"].empty_label = "Все программы"
        self.fields["group"].queryset = groups
        self.fields["group"].empty_label = "Все группы"

    def criteria(self) -> dict | None:
        """The filters to apply (data for `filters.ApplicationFilter`); None when the form has
        errors (nothing is listed then)."""
        if not self.is_bound:
            return {}
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return {
            "status": data["status"],
            "program": _pk(data["program"]),
            "group": _pk(data["group"]),
        }


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Причина отказа",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Родитель увидит её в уведомлении.",
        error_messages={"required": "Укажите причину отказа."},
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Код из уведомления родителя",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        error_messages={"required": "Введите код, который назвал родитель."},
    )

    def clean_code(self):
        digits = re.sub(r"\D", "", self.cleaned_data["code"])
        if len(digits) != 6:
            raise forms.ValidationError("Код — 6 цифр.")
        return digits


# ----------------------------------------------------------------------- in person


def _number_field(label: str = "Номер сертификата") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        help_text="10 цифр, например 11 02 000001.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": "Введите номер сертификата."},
    )


def _digits(value: str) -> str:
    digits = re.sub(r"[\s\-]", "", value)
    if not (digits.isdigit() and len(digits) == 10):
        raise forms.ValidationError("Номер сертификата — 10 цифр.")
    return digits


SURNAME_HELP = "Фамилия ребёнка, как в сертификате: регистр и ё/е не важны, двойная — целиком."


def _surname_field(*, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label="Фамилия ребёнка",
        max_length=150,
        required=required,
        help_text=SURNAME_HELP,
        # Not kept by the browser: a shared desk computer should not offer children's names.
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Введите фамилию ребёнка."},
    )


class InPersonForm(forms.Form):
    certificate_number = _number_field()
    surname = _surname_field()
    group = _GroupLabel(
        label="Группа",
        queryset=None,
        empty_label="Выберите группу",
        error_messages={
            "required": "Выберите группу.",
            "invalid_choice": "Эта группа сейчас не принимает записи.",
        },
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups

    def clean_certificate_number(self):
        return _digits(self.cleaned_data["certificate_number"])


class LookupForm(forms.Form):
    """The look-up: number and surname (an official may leave the surname out); a staff
    member of several organisations says for which one."""

    number = _number_field()
    surname = _surname_field(required=False)
    provider = ModelChoiceField(
        label="Организация",
        queryset=None,
        required=False,
        empty_label="Выберите организацию",
    )

    def __init__(self, *args, providers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if providers is None or providers.count() < 2:
            del self.fields["provider"]
        else:
            self.fields["provider"].queryset = providers

    def clean_number(self):
        return _digits(self.cleaned_data["number"])


# --------------------------------------------------------------------------- contracts


class ContractFilterForm(forms.Form):
    """The register's filters; the group list follows the chosen programme when it is long."""

    surname = forms.CharField(label="Фамилия ребёнка", required=False, max_length=150)
    status = forms.ChoiceField(
        label="Статус", required=False, choices=_blank(Contract.Status.choices, "Все статусы")
    )
    program = ModelChoiceField(label="Программа", required=False, queryset=None)
    group = _GroupLabel(label="Группа", required=False, queryset=None)
    period = forms.TypedChoiceField(label="Период", required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(label="Действует с", required=False, widget=_DATE)
    date_to = forms.DateField(label="по", required=False, widget=_DATE)

    def __init__(self, *args, programs, groups, periods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
        self.fields["program"].empty_label = "Все программы"
        self.fields["group"].queryset = groups
        self.fields["group"].empty_label = "Все группы"
        self.periods = {p.pk: p for p in periods}
        many = len({p.municipality_id for p in periods}) > 1
        self.fields["period"].choices = _blank(
            [(p.pk, f"{p.name} ({p.municipality.name})" if many else p.name) for p in periods],
            "Все периоды",
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "Конец диапазона раньше начала.")
        return data

    def criteria(self) -> dict | None:
        """The filters to apply (data for `filters.ContractFilter`); None when the form has
        errors (nothing is listed then)."""
        if not self.is_bound:
            return {}
        if not self.is_valid():
            return None
        data = self.cleaned_data
        period = self.periods.get(data["period"])
        return {
            "status": data["status"],
            "program": _pk(data["program"]),
            "group": _pk(data["group"]),
            "period": _pk(period),
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "surname": data["surname"],
        }


class TerminateForm(forms.Form):
    reason = forms.CharField(
        label="Причина расторжения",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Укажите причину расторжения."},
    )
    confirm = forms.BooleanField(
        label="Подтверждаю: договор будет расторгнут, неизрасходованный резерв вернётся "
        "на сертификат",
        error_messages={"required": "Подтвердите расторжение договора."},
    )
