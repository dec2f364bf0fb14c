"""Forms of the provider registry: application, profile, decisions, staff, limits, bank
details requests.

Forms only parse; the services check ИНН, ОГРН, licence and bank details and their messages
land on these fields by name.
"""

from __future__ import annotations

from django import forms
from django.conf import settings

from pfdo.common.forms import ModelChoiceField, PersonNameField
from pfdo.providers import services
from pfdo.providers.models import BANK_FIELDS, PROFILE_FIELDS, ContractsOnExclusion, Provider
from pfdo.territory.models import Municipality

_NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}
_WIDGETS = {
    "inn": forms.TextInput(attrs=_NUMERIC),
    "kpp": forms.TextInput(attrs=_NUMERIC),
    "ogrn": forms.TextInput(attrs=_NUMERIC),
    "bik": forms.TextInput(attrs=_NUMERIC),
    "settlement_account": forms.TextInput(attrs=_NUMERIC),
    "correspondent_account": forms.TextInput(attrs=_NUMERIC),
    "licence_issued_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    "description": forms.Textarea(attrs={"rows": 3}),
    "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
}
_HELP = {
    "inn": "10 цифр у организации, 12 — у ИП.",
    "ogrn": "13 цифр у организации (ОГРН), 15 — у ИП (ОГРНИП).",
    "kpp": "Только у организаций.",
    "licence_exempt": "Только ИП, который ведёт занятия сам, без наёмных педагогов.",
    "bik": "Банковские реквизиты нужны для оплаты; их видят только оператор и плательщик.",
    "legal_address": "У ИП — адрес регистрации; публично не показывается.",
    "actual_address": "Где проходят занятия; показывается в каталоге. ИП, который ведёт "
    "занятия не дома, не указывает здесь домашний адрес.",
}

# Groups of fields for the page, so a long form reads in sections on a phone.
SECTIONS = [
    ("Организация", ("full_name", "short_name", "legal_form", "director_name", "description")),
    ("Регистрация", ("inn", "kpp", "ogrn")),
    ("Лицензия", ("licence_exempt", "licence_number", "licence_issued_on")),
    ("Адреса и контакты", ("legal_address", "actual_address", "phone", "email", "website")),
    (
        "Банковские реквизиты",
        ("bank_name", "bik", "settlement_account", "correspondent_account"),
    ),
]


def _profile_fields() -> dict[str, forms.Field]:
    # The model's URLField would build a form field with Django 6's scheme warning.
    names = [name for name in PROFILE_FIELDS if name != "website"]
    fields = forms.fields_for_model(Provider, fields=names, widgets=_WIDGETS, help_texts=_HELP)
    fields["website"] = forms.URLField(
        label="Сайт", required=False, max_length=200, assume_scheme="https"
    )
    return fields


class ProviderProfileForm(forms.Form):
    """The card of the organisation or ИП (all of PROFILE_FIELDS)."""

    locals().update(_profile_fields())

    def __init__(self, *args, locked: tuple[str, ...] = (), bank_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in locked:
            self.fields[name].disabled = True
            self.fields[name].help_text = "После включения в реестр не меняется."
        # Not even shown disabled: the page says where they change (a request), and nothing
        # posted under these names can reach the service.
        self.bank_locked = bank_locked
        if bank_locked:
            for name in BANK_FIELDS:
                del self.fields[name]

    def sections(self):
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in SECTIONS
        ]

    def profile(self) -> dict:
        return {name: self.cleaned_data[name] for name in PROFILE_FIELDS if name in self.fields}


class ProviderApplicationForm(ProviderProfileForm):
    municipality = ModelChoiceField(
        label="Муниципалитет",
        queryset=Municipality.objects.filter(is_active=True),
        empty_label=None,
    )
    staff_last_name = PersonNameField(label="Фамилия")
    staff_first_name = PersonNameField(label="Имя")
    staff_patronymic = PersonNameField(label="Отчество", required=False)
    staff_position = forms.CharField(label="Должность", max_length=200, required=False)
    staff_email = forms.EmailField(label="Электронная почта сотрудника")
    staff_phone = forms.CharField(label="Телефон сотрудника", max_length=32, required=False)
    staff_login = forms.CharField(
        label="Логин для входа",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
        help_text="Латинские буквы, цифры и символы @ . + - _",
    )
    staff_password = forms.CharField(
        label="Пароль",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Не короче 8 символов, не только цифры, не похож на логин.",
    )
    staff_password2 = forms.CharField(
        label="Пароль ещё раз",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm = forms.BooleanField(
        label="Подтверждаю, что сведения достоверны, и согласен на их обработку",
        error_messages={"required": "Без подтверждения заявку подать нельзя."},
    )

    STAFF_FIELDS = (
        "staff_last_name",
        "staff_first_name",
        "staff_patronymic",
        "staff_position",
        "staff_email",
        "staff_phone",
        "staff_login",
        "staff_password",
        "staff_password2",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        home = Municipality.objects.filter(code=settings.PFDO_MUNICIPALITY).first()
        if home is not None:
            self.fields["municipality"].initial = home.pk

    def staff_fields(self):
        return [self[name] for name in self.STAFF_FIELDS]

    def clean(self):
        data = super().clean()
        if data.get("staff_password") and data.get("staff_password") != data.get("staff_password2"):
            self.add_error("staff_password2", "Пароли не совпадают.")
        return data

    def first_staff(self) -> services.NewStaff:
        d = self.cleaned_data
        return services.NewStaff(
            login=d["staff_login"],
            password=d["staff_password"],
            last_name=d["staff_last_name"],
            first_name=d["staff_first_name"],
            patronymic=d["staff_patronymic"],
            email=d["staff_email"],
            phone=d["staff_phone"],
            position=d["staff_position"],
        )


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label="Комментарий",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_required:  # the service refuses a blank one and says so under the field
            self.fields["reason"].label = "Причина (обязательно)"

    def decision(self) -> dict:
        """The service's keyword arguments besides actor and provider."""
        return {"reason": self.cleaned_data["reason"]}


class ExclusionForm(DecisionForm):
    """Exclusion also decides the running contracts; the service checks the choice and the
    date (not in the past) and its messages land on these fields."""

    contracts = forms.ChoiceField(
        label="Действующие договоры",
        choices=ContractsOnExclusion.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    terminate_on = forms.DateField(
        label="Последний день действия договоров",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Только если договоры расторгаются: сегодня или позже. Месяцы после этого "
        "дня не оплачиваются, резерв возвращается на сертификаты.",
    )

    def decision(self) -> dict:
        return {
            **super().decision(),
            "contracts": self.cleaned_data["contracts"],
            "terminate_on": self.cleaned_data["terminate_on"],
        }


class StaffForm(forms.Form):
    last_name = PersonNameField(label="Фамилия")
    first_name = PersonNameField(label="Имя")
    patronymic = PersonNameField(label="Отчество", required=False)
    position = forms.CharField(label="Должность", max_length=200, required=False)
    email = forms.EmailField(label="Электронная почта", required=False)
    phone = forms.CharField(label="Телефон", max_length=32, required=False)
    login = forms.CharField(
        label="Логин для входа",
        max_length=150,
        help_text="Пароль система выдаст сама и покажет один раз.",
    )
    is_admin = forms.BooleanField(
        label="Администратор организации (управляет сотрудниками и карточкой)", required=False
    )

    def new_staff(self) -> services.NewStaff:
        d = self.cleaned_data
        return services.NewStaff(
            login=d["login"],
            last_name=d["last_name"],
            first_name=d["first_name"],
            patronymic=d["patronymic"],
            email=d["email"],
            phone=d["phone"],
            position=d["position"],
        )


class EnrolmentLimitForm(forms.Form):
    period = forms.IntegerField(widget=forms.HiddenInput)
    max_children = forms.IntegerField(
        label="Не более детей",
        required=False,
        min_value=0,
        max_value=services.MAX_ENROLMENT_LIMIT,
        help_text="Пусто — без лимита.",
    )


_BANK_HELP = {
    "bik": "9 цифр.",
    "settlement_account": "20 цифр; контрольный ключ проверяется по БИК.",
    "correspondent_account": "20 цифр, начинается с 301.",
}


class BankDetailsRequestForm(forms.Form):
    """The admin's request for new bank details. Every field is optional here: the service
    says what is missing or wrong, all messages at once, in the words the API uses."""

    locals().update(
        forms.fields_for_model(
            Provider,
            fields=list(BANK_FIELDS),
            widgets={name: _WIDGETS[name] for name in BANK_FIELDS if name in _WIDGETS},
            help_texts=_BANK_HELP,
        )
    )
    comment = forms.CharField(
        label="Почему меняются реквизиты",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Например: счёт открыт в другом банке. Оператор увидит этот комментарий.",
    )

    def details(self) -> dict:
        return {name: self.cleaned_data[name] for name in BANK_FIELDS}


class BankDetailsRejectForm(forms.Form):
    reason = forms.CharField(
        label="Причина отказа (обязательно)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Её увидит поставщик.",
    )
