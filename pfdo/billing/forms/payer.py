"""Forms of the payer's and officials' billing pages: filters, decisions, payments, the run."""

from __future__ import annotations

from django import forms

from pfdo.billing.forms.provider import MONTH_ERRORS
from pfdo.billing.models import DocumentStatus
from pfdo.common.fields import MonthFormField
from pfdo.common.forms import ModelChoiceField, RoublesField

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]

KIND_ADVANCE = "advance"
KIND_INVOICE = "invoice"
KIND_CHOICES = [("", "Все документы"), (KIND_ADVANCE, "Заявки на аванс"), (KIND_INVOICE, "Счета")]


def _blank(choices, label: str) -> list[tuple[str, str]]:
    return [("", label), *choices]


class _MunicipalityForm(forms.Form):
    """Officials of several municipalities (a region) choose one; for one it stays hidden."""

    municipality = forms.ChoiceField(label="Муниципалитет", required=False)

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["municipality"]
        field.choices = [(m.code, m.name) for m in municipalities]
        if len(municipalities) < 2:
            field.widget = forms.HiddenInput()


class OverviewFilterForm(_MunicipalityForm):
    month = MonthFormField(label="Месяц", required=False, error_messages=MONTH_ERRORS)
    status = forms.ChoiceField(
        label="Статус", required=False, choices=_blank(DocumentStatus.choices, "Все статусы")
    )
    kind = forms.ChoiceField(label="Документ", required=False, choices=KIND_CHOICES)
    provider = ModelChoiceField(label="Поставщик", required=False, queryset=None)

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers
        self.fields["provider"].empty_label = "Все поставщики"


class MonthForm(_MunicipalityForm):
    """The month of a reconciliation or of a month run."""

    month = MonthFormField(
        label="Месяц", error_messages={**MONTH_ERRORS, "required": "Выберите месяц."}
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Причина отклонения",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Поставщик увидит её в уведомлении и исправит документ.",
        error_messages={"required": "Укажите причину отклонения."},
    )


class PaymentForm(forms.Form):
    """A payment order; the amount in roubles ("1 234,56") becomes integer kopecks."""

    order_number = forms.CharField(
        label="Номер платёжного поручения",
        max_length=40,
        error_messages={"required": "Укажите номер платёжного поручения."},
    )
    paid_on = forms.DateField(
        label="Дата платежа",
        widget=_DATE,
        input_formats=DATE_FORMATS,
        error_messages={
            "required": "Укажите дату платежа.",
            "invalid": "Дата в формате ДД.ММ.ГГГГ.",
        },
    )
    amount = RoublesField(
        label="Сумма, руб.",
        help_text="Рубли с копейками, например 1 234,56.",
        error_messages={"required": "Укажите сумму платежа."},
    )

    # The service names its fields by the model; the form shows them on its own fields.
    SERVICE_FIELDS = {"amount_kopecks": "amount"}

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("Сумма платежа должна быть больше нуля.")
        return amount

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "order_number": data["order_number"],
            "paid_on": data["paid_on"],
            "amount_kopecks": data["amount"],
        }


class PaymentFilterForm(_MunicipalityForm):
    date_from = forms.DateField(
        label="Оплачено с", required=False, widget=_DATE, input_formats=DATE_FORMATS
    )
    date_to = forms.DateField(label="по", required=False, widget=_DATE, input_formats=DATE_FORMATS)
    provider = ModelChoiceField(label="Поставщик", required=False, queryset=None)

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers
        self.fields["provider"].empty_label = "Все поставщики"

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "Конец периода раньше начала.")
        return data
