"""Forms of the provider's billing pages: the month and document filters, the journal."""

from __future__ import annotations

from django import forms

from pfdo.billing.models import DocumentStatus
from pfdo.common.fields import MonthFormField
from pfdo.common.forms import ModelChoiceField

# Pages show the short message next to the field (the API answers MONTH_MESSAGE).
MONTH_ERRORS = {"invalid": "Месяц в формате ГГГГ-ММ."}
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class _ProviderChoice(ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.short_name


class _GroupChoice(ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.module.program.name} — {obj.name}"


class ProviderPickForm(forms.Form):
    """Whose billing to show, for staff of several providers."""

    provider = _ProviderChoice(label="Организация", queryset=None, empty_label=None)

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers


class BuildForm(forms.Form):
    """«Сформировать заявку на аванс / счёт за <месяц>»: the provider and the month."""

    provider = _ProviderChoice(
        label="Организация",
        queryset=None,
        error_messages={"required": "Выберите организацию."},
    )
    month = MonthFormField(
        label="Месяц", error_messages={**MONTH_ERRORS, "required": "Укажите месяц."}
    )

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers


class DocumentFilterForm(forms.Form):
    """Filters of the lists of advance requests and invoices."""

    month = MonthFormField(label="Месяц", required=False, error_messages=MONTH_ERRORS)
    status = forms.ChoiceField(
        label="Статус",
        required=False,
        choices=[("", "Все статусы"), *DocumentStatus.choices],
    )
    provider = _ProviderChoice(label="Организация", required=False, queryset=None)

    def __init__(self, *args, providers, statuses=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers
        self.fields["provider"].empty_label = "Все организации"
        if statuses is not None:
            self.fields["status"].choices = [
                ("", "Все статусы"),
                *[(s.value, s.label) for s in statuses],
            ]
        if providers.count() < 2:
            del self.fields["provider"]

    def criteria(self) -> dict | None:
        """The filters to apply; None when the form has errors (nothing is listed then)."""
        if not self.is_bound:
            return {}
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return {
            "month": data["month"],
            "status": data["status"],
            "provider": data.get("provider"),
        }


# ------------------------------------------------------------------------------ journal


class JournalPickForm(forms.Form):
    group = _GroupChoice(
        label="Группа",
        queryset=None,
        empty_label="Выберите группу",
        error_messages={
            "required": "Выберите группу.",
            "invalid_choice": "Выберите группу из списка.",
        },
    )
    month = MonthFormField(
        label="Месяц", error_messages={**MONTH_ERRORS, "required": "Укажите месяц."}
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups


class IdListField(forms.Field):
    """A repeated field of contract ids (`?marks=1&marks=2`) → a list of ints."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": "Список детей передан неверно: обновите страницу."}

    def to_python(self, value):
        if value in self.empty_values:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        out = []
        for item in values:
            text = str(item).strip()
            if not text.isdigit() or len(text) > 18:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            out.append(int(text))
        return out


class MarkForm(forms.Form):
    """One lesson's column: every child listed (`marks`), those ticked came (`present`)."""

    marks = IdListField(error_messages={"required": "В этот день в группе нет детей для отметки."})
    present = IdListField(required=False)

    def as_marks(self) -> dict[int, bool]:
        """{contract id: came?}; a ticked child the page did not list is still marked."""
        present = set(self.cleaned_data["present"])
        listed = list(dict.fromkeys([*self.cleaned_data["marks"], *present]))
        return {contract_id: contract_id in present for contract_id in listed}


class CancelLessonForm(forms.Form):
    reason = forms.CharField(
        label="Причина отмены",
        max_length=300,
        error_messages={"required": "Укажите причину отмены."},
    )


class MoveLessonForm(forms.Form):
    held_on = forms.DateField(
        label="Дата", widget=_DATE, error_messages={"required": "Укажите дату занятия."}
    )
    starts_at = forms.TimeField(
        label="Начало", widget=_TIME, error_messages={"required": "Укажите время начала."}
    )
    ends_at = forms.TimeField(
        label="Окончание", widget=_TIME, error_messages={"required": "Укажите время окончания."}
    )

    @classmethod
    def initial_for(cls, lesson) -> dict:
        return {"held_on": lesson.held_on, "starts_at": lesson.starts_at, "ends_at": lesson.ends_at}
