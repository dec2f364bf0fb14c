"""Form fields shared by the provider's and the payer's billing pages."""

from __future__ import annotations

import datetime as dt

from django import forms

from pfdo.billing import services
from pfdo.common.errors import ValidationFailed


class MonthField(forms.CharField):
    """A month typed as ГГГГ-ММ (what `<input type="month">` sends), cleaned to its 1st."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "ГГГГ-ММ"})

    def to_python(self, value):
        if isinstance(value, dt.date):
            return value.replace(day=1)
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return services.parse_month(text)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.fields["month"][0], code="invalid") from None

    def prepare_value(self, value):
        if isinstance(value, dt.date):
            return f"{value:%Y-%m}"
        return value
