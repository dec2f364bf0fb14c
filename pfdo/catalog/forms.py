"""Forms of catalogue management: they parse (roubles, ages in years and months) and hand
keyword arguments to one service; the services' field messages land on these fields."""

from __future__ import annotations

from django import forms

from pfdo.catalog.models import (
    ASSESSMENT_CRITERIA,
    ASSESSMENT_MAX_SCORE,
    Assessment,
    Group,
    Module,
    Program,
    ScheduleEntry,
)
from pfdo.common.choices import Direction, StudyForm, TeacherQualification
from pfdo.common.errors import DomainError
from pfdo.common.forms import ModelChoiceField, RoublesField
from pfdo.providers.models import Provider

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ServiceForm(forms.Form):
    """A form whose service reports errors under its own names (`field_aliases` maps them)."""

    field_aliases: dict[str, str] = {}

    def aliased(self, exc: DomainError) -> DomainError:
        """The service's field names turned into this form's (in place)."""
        exc.fields = {self.field_aliases.get(name, name): msgs for name, msgs in exc.fields.items()}
        return exc


class ProgramForm(ServiceForm):
    field_aliases = {"age_from_months": "age_from_years", "age_to_months": "age_to_years"}

    provider = ModelChoiceField(
        label="Поставщик", queryset=Provider.objects.none(), empty_label=None
    )
    name = forms.CharField(label="Название программы", max_length=300)
    direction = forms.ChoiceField(label="Направленность", choices=Direction.choices)
    kind = forms.ChoiceField(label="Вид", choices=Program.Kind.choices)
    level = forms.ChoiceField(label="Уровень", choices=Program.Level.choices)
    form = forms.ChoiceField(label="Форма обучения", choices=StudyForm.choices)
    age_from_years = forms.IntegerField(label="Возраст от, лет", required=False, min_value=0)
    age_from_extra = forms.IntegerField(
        label="и месяцев", required=False, min_value=0, max_value=11
    )
    age_to_years = forms.IntegerField(
        label="Возраст до (включительно), лет", required=False, min_value=0
    )
    age_to_extra = forms.IntegerField(
        label="и месяцев",
        required=False,
        min_value=0,
        max_value=11,
        help_text="Пусто — до конца этого года жизни: «до 14 лет» значит до 15-летия.",
    )
    description = forms.CharField(label="Описание", widget=forms.Textarea, required=False)
    goals = forms.CharField(label="Цели и задачи", widget=forms.Textarea, required=False)
    expected_results = forms.CharField(
        label="Ожидаемые результаты", widget=forms.Textarea, required=False
    )
    address = forms.CharField(label="Адрес проведения", max_length=500, required=False)
    district = forms.CharField(label="Район", max_length=200, required=False)
    medical_certificate_required = forms.BooleanField(
        label="Нужна медицинская справка", required=False
    )
    for_disabled = forms.BooleanField(label="Адаптирована для детей с ОВЗ", required=False)
    network_form = forms.BooleanField(label="Сетевая форма реализации", required=False)

    def __init__(self, *args, providers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if providers is None:
            del self.fields["provider"]
        else:
            self.fields["provider"].queryset = providers
            if len(providers) == 1:
                self.fields["provider"].initial = providers[0].pk
                self.fields["provider"].widget = forms.HiddenInput()

    @staticmethod
    def initial_for(program: Program) -> dict:
        data = {
            name: getattr(program, name)
            for name in (
                "name",
                "direction",
                "kind",
                "level",
                "form",
                "description",
                "goals",
                "expected_results",
                "address",
                "district",
                "medical_certificate_required",
                "for_disabled",
                "network_form",
            )
        }
        if program.age_from_months is not None:
            data["age_from_years"], data["age_from_extra"] = divmod(program.age_from_months, 12)
        if program.age_to_months is not None:
            years, extra = divmod(program.age_to_months, 12)
            data["age_to_years"] = years
            data["age_to_extra"] = None if extra == 11 else extra
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("provider", None)
        from_years, from_extra = data.pop("age_from_years"), data.pop("age_from_extra")
        to_years, to_extra = data.pop("age_to_years"), data.pop("age_to_extra")
        data["age_from_months"] = (
            None if from_years is None else from_years * 12 + (from_extra or 0)
        )
        data["age_to_months"] = (
            None if to_years is None else to_years * 12 + (11 if to_extra is None else to_extra)
        )
        return data


class ModuleForm(ServiceForm):
    field_aliases = {"price_kopecks": "price"}

    name = forms.CharField(label="Название модуля", max_length=300)
    # Bounds are the service's (field messages come from it); max_value only keeps numbers
    # the database cannot hold from reaching it.
    duration_months = forms.IntegerField(label="Продолжительность, месяцев", max_value=32767)
    hours = forms.IntegerField(label="Часов на группу за модуль", max_value=2**31 - 1)
    min_children = forms.IntegerField(label="Детей в группе от", initial=1, max_value=32767)
    max_children = forms.IntegerField(label="Детей в группе до", max_value=32767)
    teacher_qualification = forms.ChoiceField(
        label="Квалификация педагога",
        choices=TeacherQualification.choices,
        initial=TeacherQualification.NONE,
    )
    price = RoublesField(
        label="Цена модуля на ребёнка, ₽",
        required=False,
        error_messages={"negative": "Цена не может быть отрицательной."},
        help_text="Например 18 000,00. Без цены программу нельзя опубликовать.",
    )

    @staticmethod
    def initial_for(module: Module) -> dict:
        data = {
            name: getattr(module, name)
            for name in (
                "name",
                "duration_months",
                "hours",
                "min_children",
                "max_children",
                "teacher_qualification",
            )
        }
        data["price"] = module.price_kopecks
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["price_kopecks"] = data.pop("price")
        return data


class GroupForm(ServiceForm):
    name = forms.CharField(label="Название группы", max_length=200)
    teacher_name = forms.CharField(label="Педагог", max_length=300, required=False)
    address = forms.CharField(
        label="Адрес", max_length=500, required=False, help_text="Пусто — адрес программы."
    )
    room = forms.CharField(label="Кабинет, зал", max_length=100, required=False)
    starts_on = forms.DateField(label="Начало занятий", required=False, widget=DATE)
    ends_on = forms.DateField(label="Окончание занятий", required=False, widget=DATE)
    capacity = forms.IntegerField(label="Мест в группе", max_value=32767)
    enrolment_open = forms.BooleanField(label="Запись в группу открыта", required=False)

    @staticmethod
    def initial_for(group: Group) -> dict:
        return {
            name: getattr(group, name)
            for name in (
                "name",
                "teacher_name",
                "address",
                "room",
                "starts_on",
                "ends_on",
                "capacity",
                "enrolment_open",
            )
        }

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class ScheduleEntryForm(ServiceForm):
    weekday = forms.TypedChoiceField(
        label="День недели", choices=ScheduleEntry.Weekday.choices, coerce=int
    )
    starts_at = forms.TimeField(label="С", widget=TIME)
    ends_at = forms.TimeField(label="До", widget=TIME)
    parity = forms.ChoiceField(
        label="Недели", choices=ScheduleEntry.Parity.choices, initial=ScheduleEntry.Parity.EVERY
    )

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class AssessmentForm(ServiceForm):
    """One score field per criterion, named `scores.<code>` like the service's messages."""

    conclusion = forms.ChoiceField(
        label="Заключение", choices=Assessment.Conclusion.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="Комментарий",
        widget=forms.Textarea,
        required=False,
        help_text="Обязателен, если программа не рекомендована.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scores = {
            f"scores.{code}": forms.TypedChoiceField(
                label=label,
                choices=[("", "—")] + [(i, str(i)) for i in range(ASSESSMENT_MAX_SCORE + 1)],
                coerce=int,
            )
            for code, label in ASSESSMENT_CRITERIA
        }
        self.fields = {**scores, **self.fields}

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "scores": {code: data[f"scores.{code}"] for code, _ in ASSESSMENT_CRITERIA},
            "conclusion": data["conclusion"],
            "comment": data["comment"],
        }


class DecisionForm(ServiceForm):
    CERTIFY, REJECT, RETURN = "certify", "reject", "return_to_draft"

    decision = forms.ChoiceField(
        label="Решение",
        choices=[
            (CERTIFY, "Сертифицировать (включить в реестр сертифицированных)"),
            (REJECT, "Отказать в сертификации"),
            (RETURN, "Вернуть поставщику на доработку (в черновик)"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Причина или комментарий",
        widget=forms.Textarea,
        required=False,
        help_text="Для отказа — обязательно.",
    )


class RegistryForm(ServiceForm):
    budget_registry = forms.ChoiceField(
        label="Бюджетный реестр", choices=Program.BudgetRegistry.choices
    )
    paid_only = forms.BooleanField(label="Только платная (без сертификата)", required=False)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class PhotoForm(ServiceForm):
    photo = forms.FileField(
        label="Фото программы",
        required=False,
        help_text="JPEG, PNG или WebP, до 5 МБ. Его увидят родители в каталоге.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove = forms.BooleanField(label="Удалить текущее фото", required=False)

    def clean(self):
        data = super().clean()
        if not data.get("photo") and not data.get("remove"):
            self.add_error("photo", "Выберите файл или отметьте «Удалить текущее фото».")
        return data
