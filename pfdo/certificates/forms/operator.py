"""Forms of the operator's certificate pages."""

from __future__ import annotations

from django import forms

from pfdo.certificates import services
from pfdo.certificates.models import Child, Guardianship
from pfdo.certificates.validators import normalize_document, normalize_snils
from pfdo.common.forms import ModelChoiceField, PersonNameField

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _municipality_field(municipalities, *, required: bool, empty_label: str | None):
    """A municipality choice, or None when the user manages only one (nothing to choose)."""
    options = list(municipalities[:2])
    if len(options) < 2:
        return None
    return ModelChoiceField(
        label="Муниципалитет",
        queryset=municipalities,
        required=required,
        empty_label=empty_label,
    )


class _OneMunicipalityMixin:
    """`chosen_municipality()`: the field's choice, or the only municipality the user manages."""

    def _set_municipalities(self, municipalities, *, required: bool, empty_label: str | None):
        self.only_municipality = None
        field = _municipality_field(municipalities, required=required, empty_label=empty_label)
        if field is None:
            self.only_municipality = municipalities.first() if municipalities is not None else None
        else:
            self.fields = {"municipality": field, **self.fields}

    def chosen_municipality(self):
        data = getattr(self, "cleaned_data", {}) or {}
        return data.get("municipality") or self.only_municipality


# ---------------------------------------------------------------------------- registry


class IdentifierSearchForm(forms.Form):
    """Exact search by СНИЛС or document, sent by POST so the number stays out of URLs and logs."""

    snils = forms.CharField(label="СНИЛС", required=False, max_length=20)
    document_type = forms.ChoiceField(
        label="Документ", choices=Child.DocumentType.choices, required=False
    )
    document_number = forms.CharField(
        label="Серия и номер документа", required=False, max_length=40
    )

    def clean_snils(self):
        value = normalize_snils(self.cleaned_data["snils"])
        if value and not (value.isdigit() and len(value) == 11):
            raise forms.ValidationError("СНИЛС — 11 цифр, например 112-233-445 95.")
        return value

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("snils") and not data.get("document_number"):
            raise forms.ValidationError("Укажите СНИЛС или номер документа.")
        number = data.get("document_number")
        if number:
            _, problem = normalize_document(data.get("document_type") or "", number)
            if problem:
                self.add_error("document_number", problem)
        return data


# ------------------------------------------------------------------------ certificate card


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Причина",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Укажите причину."},
    )


class ReactivateForm(forms.Form):
    reason = forms.CharField(
        label="Комментарий",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CancelForm(ReasonForm):
    confirm = forms.BooleanField(
        label="Понимаю: аннулирование необратимо, неиспользованный остаток вернётся в бюджет",
        error_messages={"required": "Подтвердите аннулирование."},
    )


class ReissuePasswordForm(forms.Form):
    parent = forms.ChoiceField(label="Законный представитель")

    def __init__(self, *args, guardians=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.guardians = {str(u.pk): u for u in guardians}
        self.fields["parent"].choices = [
            (pk, f"{u.full_name or u.username} ({u.username})") for pk, u in self.guardians.items()
        ]

    def chosen_parent(self):
        return self.guardians.get(self.cleaned_data["parent"])


# ---------------------------------------------------------------------------- applications


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Причина отказа",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Укажите причину отказа."},
    )


# ------------------------------------------------------------------ in-person registration

PARENT_FIELDS = (
    "parent_login",
    "parent_last_name",
    "parent_first_name",
    "parent_patronymic",
    "email",
    "phone",
    "relation",
)
CHILD_FIELDS = services.CHILD_FIELDS


class FamilyRegistrationForm(_OneMunicipalityMixin, forms.Form):
    """A family that came in person: a new or existing parent, the child's card, the wish.

    Only types are parsed here; the services check the rest and their field messages land
    on the fields of the same names.
    """

    parent_login = forms.CharField(
        label="Логин существующего родителя",
        required=False,
        max_length=150,
        help_text="Если у родителя уже есть учётная запись. Иначе заполните поля ниже.",
    )
    parent_last_name = PersonNameField(label="Фамилия родителя", required=False)
    parent_first_name = PersonNameField(label="Имя родителя", required=False)
    parent_patronymic = PersonNameField(label="Отчество родителя", required=False)
    email = forms.EmailField(
        label="E-mail родителя",
        required=False,
        max_length=254,
        error_messages={"invalid": "Неверный e-mail, пример: ivanova@example.org."},
    )
    phone = forms.CharField(
        label="Телефон родителя",
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    relation = forms.ChoiceField(
        label="Кем приходится ребёнку", choices=Guardianship.Relation.choices
    )

    last_name = PersonNameField(label="Фамилия ребёнка", required=False)
    first_name = PersonNameField(label="Имя ребёнка", required=False)
    patronymic = PersonNameField(label="Отчество ребёнка", required=False)
    birth_date = forms.DateField(
        label="Дата рождения",
        required=False,
        widget=_DATE,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        error_messages={"invalid": "Дата рождения: ДД.ММ.ГГГГ."},
    )
    sex = forms.ChoiceField(label="Пол", required=False, choices=[("", "—"), *Child.Sex.choices])
    document_type = forms.ChoiceField(label="Документ", choices=Child.DocumentType.choices)
    document_number = forms.CharField(
        label="Серия и номер документа",
        required=False,
        max_length=40,
        help_text="Свидетельство: II-ЕА 123456; паспорт: 8712 345678.",
    )
    snils = forms.CharField(
        label="СНИЛС ребёнка", required=False, max_length=20, help_text="Например 112-233-445 95."
    )
    has_disability = forms.BooleanField(label="Ребёнок с ОВЗ", required=False)
    wants_financing = forms.BooleanField(
        label="Нужен сертификат финансирования",
        required=False,
        initial=True,
        help_text="Снимите, если семье нужны только бесплатные (бюджетные) программы.",
    )
    approve_now = forms.BooleanField(
        label="Одобрить сразу (документы проверены) и выдать сертификат",
        required=False,
    )

    def __init__(self, *args, municipalities=None, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = users
        self._set_municipalities(municipalities, required=True, empty_label=None)

    def clean_parent_login(self):
        login = self.cleaned_data["parent_login"].strip()
        if not login:
            return None
        if "\x00" in login or self.users is None:
            raise forms.ValidationError("Родитель с таким логином не найден.")
        user = self.users.filter(username__iexact=login, is_active=True).first()
        if user is None:
            raise forms.ValidationError("Родитель с таким логином не найден.")
        return user

    def child(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in CHILD_FIELDS}

    def new_parent(self) -> dict | None:
        if self.cleaned_data.get("parent_login"):
            return None
        data = self.cleaned_data
        return {
            "last_name": data.get("parent_last_name") or "",
            "first_name": data.get("parent_first_name") or "",
            "patronymic": data.get("parent_patronymic") or "",
            "email": data.get("email") or "",
            "phone": data.get("phone") or "",
        }

    def parent_sections(self):
        return [self[name] for name in PARENT_FIELDS]

    def child_sections(self):
        return [self[name] for name in CHILD_FIELDS]


# ------------------------------------------------------------------------------- import


class ImportUploadForm(_OneMunicipalityMixin, forms.Form):
    file = forms.FileField(
        label="Файл CSV или XLSX",
        error_messages={"required": "Выберите файл.", "empty": "Файл пустой."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, municipalities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_municipalities(municipalities, required=True, empty_label=None)


class ImportConfirmForm(forms.Form):
    ALL = "all"
    GOOD = "good"
    CANCEL = "cancel"

    token = forms.CharField(widget=forms.HiddenInput, max_length=100)
    mode = forms.ChoiceField(
        choices=[(ALL, "загрузить всё"), (GOOD, "только корректные"), (CANCEL, "отмена")]
    )
    approve = forms.BooleanField(
        label="Сразу одобрить заявления и выдать сертификаты (документы проверены)",
        required=False,
    )
