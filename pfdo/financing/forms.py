"""Forms of financing periods: roubles typed by people become exact integer kopecks."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms

from pfdo.common.choices import Direction, LegalForm, StudyForm, TeacherQualification
from pfdo.common.forms import SPACES, ModelChoiceField, RoublesField
from pfdo.financing import services
from pfdo.financing.models import FinancingPeriod


class CoefficientField(forms.CharField):
    """A correcting coefficient: "1,6" or "1.6" → Decimal, > 0, at most three decimals."""

    default_error_messages = {
        "invalid": "Введите число, например 1,2.",
        "positive": "Коэффициент должен быть больше нуля.",
        "precision": "Не больше трёх знаков после запятой.",
    }

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(inputmode="decimal", maxlength="12")
        return attrs

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return format(value.normalize(), "f").replace(".", ",")
        return value

    def to_python(self, value):
        if isinstance(value, Decimal):
            return value
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            number = Decimal(SPACES.sub("", text).replace(",", "."))
        except InvalidOperation:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not number.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if number <= 0:
            raise forms.ValidationError(self.error_messages["positive"], code="positive")
        if number.as_tuple().exponent < -3:
            raise forms.ValidationError(self.error_messages["precision"], code="precision")
        return number


def _label(name: str) -> str:
    label = str(FinancingPeriod._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

FIELDSETS: list[tuple[str, str, list[str]]] = [
    (
        "Сроки, квота и бюджет",
        "",
        ["name", "starts_on", "ends_on", "certificate_quota", "budget_kopecks"],
    ),
    (
        "Номинал",
        "Номиналы по категориям детей задаются на странице периода.",
        ["scale_nominal_by_months"],
    ),
    ("Сертификат учёта", "", ["accounting_program_limit"]),
    (
        "Оплата поставщикам",
        "",
        [
            "billing_basis",
            "boundary_month_rule",
            "advance_share_percent",
            "advance_from_working_day",
            "payment_term_working_days",
            "december_invoice_in_december",
        ],
    ),
    ("Запись детей", "", ["decision_days", "offer_days", "freeze_days"]),
    (
        "Базовый норматив на человеко-час",
        "Рублей за один час занятия одного ребёнка, по направлениям.",
        list(services.BASE_COST_FIELDS),
    ),
    (
        "Корректирующие коэффициенты",
        "Нормативная стоимость = часы × базовый норматив × произведение коэффициентов.",
        list(services.COEFFICIENT_FIELDS),
    ),
]


class PeriodForm(forms.Form):
    """Every editable setting of a period; money fields are disabled once contracts exist,
    except the quota and the budget (raised freely, lowered to what is committed)."""

    municipality = ModelChoiceField(
        label="Муниципалитет", queryset=None, empty_label=None, required=True
    )
    name = forms.CharField(label="Название", max_length=200)
    starts_on = forms.DateField(label="Начало периода", widget=_DATE)
    ends_on = forms.DateField(label="Окончание периода", widget=_DATE)
    certificate_quota = forms.IntegerField(
        label="Квота: число сертификатов финансирования", min_value=0
    )
    budget_kopecks = RoublesField(label="Объём обеспечения (бюджет), ₽")
    scale_nominal_by_months = forms.BooleanField(
        label=_label("scale_nominal_by_months"), required=False
    )
    accounting_program_limit = forms.IntegerField(
        label="Число бюджетных программ для сертификата учёта", min_value=0
    )
    billing_basis = forms.ChoiceField(
        label="Основание оплаты", choices=FinancingPeriod.BillingBasis.choices
    )
    boundary_month_rule = forms.ChoiceField(
        label="Первый и последний месяц договора",
        choices=FinancingPeriod.BoundaryMonthRule.choices,
    )
    advance_share_percent = forms.IntegerField(label="Доля аванса, %", min_value=0, max_value=100)
    advance_from_working_day = forms.IntegerField(
        label="Заявка на аванс — с рабочего дня месяца", min_value=1
    )
    payment_term_working_days = forms.IntegerField(label="Срок оплаты, рабочих дней", min_value=0)
    december_invoice_in_december = forms.BooleanField(
        label="Счёт за декабрь подаётся в декабре", required=False
    )
    decision_days = forms.IntegerField(
        label="Срок решения поставщика по заявке, дней", min_value=1, max_value=60
    )
    offer_days = forms.IntegerField(
        label="Срок принятия договора родителем, дней", min_value=1, max_value=60
    )
    freeze_days = forms.IntegerField(
        label="Заморозка новых договоров в конце периода, дней", min_value=0, max_value=60
    )

    def __init__(self, *args, municipalities=None, period: FinancingPeriod | None = None, **kwargs):
        if period is not None:
            values = {f: getattr(period, f) for f in services.EDITABLE_FIELDS}
        else:
            values = {
                f: FinancingPeriod._meta.get_field(f).get_default() for f in services.SETTING_FIELDS
            }
        kwargs["initial"] = {**values, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        for direction in Direction:
            self.fields[f"base_{direction.value}_kopecks"] = RoublesField(
                label=f"{direction.label[:1].upper()}{direction.label[1:]}, ₽ за чел.-час"
            )
        for name in services.COEFFICIENT_FIELDS:
            self.fields[name] = CoefficientField(label=_label(name).removeprefix("K: "))
        self.only_municipality = None
        if period is not None or municipalities is None:
            del self.fields["municipality"]
        else:
            options = list(municipalities[:2])
            if len(options) == 1:
                # An operator of one municipality has nothing to choose.
                self.only_municipality = options[0]
                del self.fields["municipality"]
            else:
                self.fields["municipality"].queryset = municipalities
        self.lock_reason = ""
        if period is not None and period.is_locked:
            self.lock_reason = services.lock_reason(period)
            for name in FinancingPeriod.MONEY_FIELDS:
                if name in FinancingPeriod.AMENDABLE_FIELDS:
                    # The quota and the budget are amended: raised, or lowered to commitments.
                    self.fields[name].help_text = services.amendment_hint(period, name)
                    continue
                self.fields[name].disabled = True
                self.fields[name].help_text = "Закрыто: по периоду заключены договоры."

    def fieldsets(self):
        out = []
        if "municipality" in self.fields:
            out.append(("Муниципалитет", "", [self["municipality"]]))
        for title, hint, names in FIELDSETS:
            out.append((title, hint, [self[name] for name in names]))
        return out

    def chosen_municipality(self):
        return self.cleaned_data.get("municipality") or self.only_municipality

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("municipality", None)
        return data


class NominalCategoryForm(forms.Form):
    name = forms.CharField(label="Категория", max_length=200, help_text="Например «Дети 5–18 лет».")
    age_from_months = forms.IntegerField(
        label="Возраст от, мес.", min_value=0, help_text="60 мес. = 5 лет."
    )
    age_to_months = forms.IntegerField(
        label="Возраст до (не включая), мес.", min_value=1, help_text="216 мес. = 18 лет."
    )
    disability_only = forms.BooleanField(label="Только для детей с ОВЗ", required=False)
    nominal_kopecks = RoublesField(label="Номинал на период, ₽")

    def __init__(self, *args, category=None, **kwargs):
        if category is not None:
            values = {f: getattr(category, f) for f in services.CATEGORY_FIELDS}
            kwargs["initial"] = {**values, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)


class NormativePreviewForm(forms.Form):
    """The normative-cost calculator on a period's page (reads only)."""

    direction = forms.ChoiceField(label="Направление", choices=Direction.choices)
    hours = forms.IntegerField(label="Часов на группу", min_value=1, max_value=10_000, initial=72)
    form = forms.ChoiceField(label="Форма обучения", choices=StudyForm.choices)
    legal_form = forms.ChoiceField(label="Тип организации", choices=LegalForm.choices)
    qualification = forms.ChoiceField(
        label="Квалификация педагога", choices=TeacherQualification.choices
    )
    for_disabled = forms.BooleanField(
        label="Адаптированная программа для детей с ОВЗ", required=False
    )
    network_form = forms.BooleanField(label="Сетевая форма", required=False)


class CalendarDayForm(forms.Form):
    """An override of the production calendar: a date, working or not, and its basis."""

    day = forms.DateField(
        label="Дата",
        widget=_DATE,
        error_messages={
            "required": "Укажите дату.",
            "invalid": "Укажите дату в формате ДД.ММ.ГГГГ.",
        },
    )
    is_working = forms.TypedChoiceField(
        label="Этот день",
        choices=[("0", "выходной"), ("1", "рабочий")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={"required": "Укажите, рабочий это день или выходной."},
    )
    note = forms.CharField(
        label="Основание",
        max_length=200,
        help_text="Постановление о переносе выходных дней или приказ, например "
        "«Постановление Правительства РФ от 18.09.2026 № 1450».",
        error_messages={
            "required": "Укажите основание: постановление о переносе или приказ.",
            "max_length": "Основание — не длиннее 200 символов.",
        },
    )
