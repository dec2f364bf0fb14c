"""Forms of the parent's side: online registration with the child's card, one more child."""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import RegexValidator

from pfdo.certificates import services
from pfdo.certificates.models import Child, Guardianship
from pfdo.common import clock
from pfdo.common.errors import ValidationFailed
from pfdo.common.forms import ModelChoiceField, PersonNameField

FINANCING_HELP = (
    "Сертификат финансирования — на нём деньги (номинал на год). Ими оплачиваются "
    "сертифицированные программы любой организации из реестра, в том числе частной; если "
    "программа дороже, разницу доплачивает семья. Выдаётся, пока есть места в квоте "
    "муниципалитета. Сертификат учёта — денег на нём нет, он даёт право бесплатно заниматься "
    "в бюджетных программах (значимых, предпрофессиональных и других). Снимите отметку, если "
    "нужны только бесплатные программы; перевести сертификат учёта в сертификат "
    "финансирования можно и позже."
)

_phone = RegexValidator(
    r"^\+?[\d\s()\-]{5,31}$", "Телефон: цифры, пробелы, скобки и дефисы, например +7 912 345-67-89."
)


def _required(message: str) -> dict[str, str]:
    return {"required": message}


class ChildCardForm(forms.Form):
    """The child's card, the parent's relation and the certificate wanted.

    The child's fields are checked by `services.clean_child` too, so every problem of the
    card shows next to its field at once, worded as the service words it.
    """

    relation = forms.ChoiceField(
        label="Кем вы приходитесь ребёнку",
        choices=Guardianship.Relation.choices,
        initial=Guardianship.Relation.MOTHER,
        widget=forms.RadioSelect,
    )
    last_name = PersonNameField(
        label="Фамилия ребёнка", error_messages=_required("Укажите фамилию ребёнка.")
    )
    first_name = PersonNameField(
        label="Имя ребёнка", error_messages=_required("Укажите имя ребёнка.")
    )
    patronymic = PersonNameField(label="Отчество ребёнка", required=False)
    birth_date = forms.DateField(
        label="Дата рождения",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Укажите дату рождения.",
            "invalid": "Укажите дату рождения, например 14.05.2016.",
        },
    )
    sex = forms.ChoiceField(
        label="Пол",
        choices=Child.Sex.choices,
        widget=forms.RadioSelect,
        error_messages=_required("Укажите пол ребёнка."),
    )
    document_type = forms.ChoiceField(
        label="Документ ребёнка",
        choices=Child.DocumentType.choices,
        initial=Child.DocumentType.BIRTH_CERTIFICATE,
    )
    document_number = forms.CharField(
        label="Серия и номер документа",
        max_length=40,
        help_text="Свидетельство о рождении: II-ЕА 123456; паспорт: 8712 345678.",
        error_messages=_required("Укажите серию и номер документа."),
    )
    snils = forms.CharField(
        label="СНИЛС ребёнка",
        max_length=20,
        help_text="11 цифр, например 112-233-445 95.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages=_required("Укажите СНИЛС."),
    )
    has_disability = forms.BooleanField(
        label="У ребёнка ограниченные возможности здоровья (ОВЗ)", required=False
    )
    wants_financing = forms.BooleanField(
        label="Нужен сертификат финансирования",
        required=False,
        initial=True,
        help_text=FINANCING_HELP,
    )
    # A random token per opened form: a re-post of the same page is recognised (see views).
    once = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("once", uuid.uuid4().hex)

    def clean(self):
        data = super().clean()
        try:
            services.clean_child(self.child_data(), today=clock.today())
        except ValidationFailed as exc:
            for name, messages in exc.fields.items():
                if name in self.fields and name not in self.errors:
                    for message in messages:
                        self.add_error(name, message)
        return data

    def child_data(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in services.CHILD_FIELDS}


class RegistrationForm(ChildCardForm):
    """Online registration without an account: municipality, the parent, the child, consent."""

    municipality = ModelChoiceField(
        label="Муниципалитет, где живёт ребёнок",
        queryset=None,
        empty_label="— выберите —",
        error_messages=_required("Выберите муниципалитет."),
    )
    parent_last_name = PersonNameField(
        label="Ваша фамилия", error_messages=_required("Укажите фамилию.")
    )
    parent_first_name = PersonNameField(label="Ваше имя", error_messages=_required("Укажите имя."))
    parent_patronymic = PersonNameField(label="Ваше отчество", required=False)
    email = forms.EmailField(
        label="Электронная почта",
        max_length=254,
        help_text="На неё придут решение по заявлению и логин для входа.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Укажите адрес электронной почты: на него придут логин и решение.",
            "invalid": "Проверьте адрес почты, например mama@example.ru.",
        },
    )
    phone = forms.CharField(
        label="Телефон",
        max_length=32,
        required=False,
        validators=[_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    consent = forms.BooleanField(
        label="Согласен(на) на обработку моих персональных данных и персональных данных ребёнка "
        "для выдачи сертификата (152-ФЗ)",
        error_messages=_required(
            "Без согласия на обработку персональных данных заявление не принимается."
        ),
    )

    field_order = [
        "municipality",
        "parent_last_name",
        "parent_first_name",
        "parent_patronymic",
        "email",
        "phone",
        "relation",
    ]

    PARENT_FIELDS = (
        "parent_last_name",
        "parent_first_name",
        "parent_patronymic",
        "email",
        "phone",
    )

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["municipality"]
        field.queryset = municipalities
        choices = list(municipalities[:2])
        if len(choices) == 1 and not self.is_bound:
            self.initial.setdefault("municipality", choices[0].pk)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "municipality": data["municipality"],
            **{name: data[name] for name in self.PARENT_FIELDS},
            "relation": data["relation"],
            "wants_financing": data["wants_financing"],
            "child": self.child_data(),
        }


class AddChildForm(ChildCardForm):
    """A signed-in parent applies for one more child (municipality asked only if several)."""

    municipality = ModelChoiceField(
        label="Муниципалитет", queryset=None, empty_label=None, required=True
    )

    field_order = ["municipality", "relation"]

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["municipality"]
        field.queryset = municipalities
        choices = list(municipalities[:2])
        if choices and not self.is_bound:
            self.initial.setdefault("municipality", choices[0].pk)
        self.only_municipality = choices[0] if len(choices) == 1 else None
        if self.only_municipality is not None:
            field.widget = forms.HiddenInput()
            field.required = False

    def clean_municipality(self):
        return self.cleaned_data.get("municipality") or self.only_municipality

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "municipality": data["municipality"],
            "relation": data["relation"],
            "wants_financing": data["wants_financing"],
            "child": self.child_data(),
        }


class ApplicationStatusForm(forms.Form):
    number = forms.CharField(
        label="Номер заявления",
        max_length=20,
        help_text="Из письма «Заявление №… на сертификат подано».",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    email = forms.CharField(
        label="Электронная почта",
        max_length=254,
        help_text="Та, что указана в заявлении.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
