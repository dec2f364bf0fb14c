"""The one filter form of every report, for pages and the API alike: period, month, direction,
provider — each checked against the municipality, so a foreign id is a field error."""

from __future__ import annotations

from django import forms

from pfdo.common import clock
from pfdo.common.choices import Direction
from pfdo.common.errors import ValidationFailed
from pfdo.common.months import parse_month
from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import Provider
from pfdo.reports.models import MAX_AGE, MIN_AGE
from pfdo.reports.selectors.scope import Filters


class ReportFilterForm(forms.Form):
    period = forms.ModelChoiceField(
        label="Период",
        queryset=FinancingPeriod.objects.none(),
        required=False,
        empty_label=None,
        error_messages={"invalid_choice": "Такого периода в муниципалитете нет."},
    )
    month = forms.CharField(label="Месяц", required=False, help_text="ГГГГ-ММ, пусто — весь период")
    direction = forms.ChoiceField(
        label="Направленность",
        choices=[("", "Все"), *list(Direction.choices)],
        required=False,
        error_messages={"invalid_choice": "Такой направленности нет."},
    )
    provider = forms.ModelChoiceField(
        label="Поставщик",
        queryset=Provider.objects.none(),
        required=False,
        empty_label="Все",
        error_messages={"invalid_choice": "Такого поставщика в муниципалитете нет."},
    )

    def __init__(self, data=None, *, municipality, **kwargs):
        super().__init__(data, **kwargs)
        self.municipality = municipality
        periods = FinancingPeriod.objects.filter(municipality=municipality).order_by("-starts_on")
        self.fields["period"].queryset = periods
        self.fields["provider"].queryset = Provider.objects.filter(
            municipality=municipality
        ).order_by("short_name", "pk")
        self.fields["provider"].label_from_instance = lambda p: p.short_name or p.full_name

    def default_period(self):
        """The period covering today, else the latest one that started, else the first."""
        today = clock.today()
        periods = list(self.fields["period"].queryset)
        for period in periods:
            if period.starts_on <= today <= period.ends_on:
                return period
        started = [p for p in periods if p.starts_on <= today]
        return (started or periods or [None])[0]

    def clean_month(self):
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError("Месяц в формате ГГГГ-ММ, например 2026-09.")
        return month

    def clean(self):
        cleaned = super().clean()
        period = cleaned.get("period") or (
            None if "period" in self.errors else self.default_period()
        )
        cleaned["period"] = period
        month = cleaned.get("month")
        if (
            period is not None
            and month is not None
            and not (period.starts_on.replace(day=1) <= month <= period.ends_on)
        ):
            self.add_error(
                "month",
                f"Месяц вне периода {period.starts_on:%d.%m.%Y}–{period.ends_on:%d.%m.%Y}.",
            )
        return cleaned

    def filters(self) -> Filters:
        """The checked filters; a wrong value is `ValidationFailed` with field errors (the API's
        error body, the page's field messages). A municipality with no period yet has none."""
        if not self.is_valid():
            raise ValidationFailed(
                fields={name: list(errors) for name, errors in self.errors.items()}
            )
        period = self.cleaned_data["period"]
        if period is None:
            raise ValidationFailed(
                "В муниципалитете ещё нет периода финансирования.",
                fields={"period": "Периодов пока нет."},
            )
        return Filters(
            municipality=self.municipality,
            period=period,
            month=self.cleaned_data.get("month"),
            direction=self.cleaned_data.get("direction") or "",
            provider=self.cleaned_data.get("provider"),
        )


class PopulationForm(forms.Form):
    """The number of children of each age (0–18) in one municipality for one year."""

    def __init__(self, data=None, *, initial_counts: dict[int, int] | None = None, **kwargs):
        super().__init__(data, **kwargs)
        initial_counts = initial_counts or {}
        for age in range(MIN_AGE, MAX_AGE + 1):
            self.fields[f"age_{age}"] = forms.IntegerField(
                label=f"{age}",
                required=False,
                min_value=0,
                initial=initial_counts.get(age),
                error_messages={
                    "invalid": "Целое число.",
                    "min_value": "Не может быть отрицательным.",
                },
            )

    def counts(self) -> dict[int, int | None]:
        return {age: self.cleaned_data.get(f"age_{age}") for age in range(MIN_AGE, MAX_AGE + 1)}

    def rows(self):
        """(age, bound field) pairs, for the table of ages."""
        return [(age, self[f"age_{age}"]) for age in range(MIN_AGE, MAX_AGE + 1)]


class PopulationUploadForm(forms.Form):
    file = forms.FileField(
        label="Файл XLSX",
        help_text="До 5 МБ. Столбцы: «Код муниципалитета», «Год», «Возраст», «Численность».",
        error_messages={"required": "Выберите файл.", "empty": "Файл пустой."},
    )
