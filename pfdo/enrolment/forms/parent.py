"""Forms of the parent's enrolment pages: apply to a group, accept or terminate a contract."""

from __future__ import annotations

import uuid

from django import forms

from pfdo.common.forms import ModelChoiceField


class ApplyForm(forms.Form):
    """The child's certificate, the consent to a co-payment, and a token of the opened page."""

    certificate = ModelChoiceField(
        label="Ребёнок и сертификат",
        queryset=None,
        widget=forms.HiddenInput,
        error_messages={
            "required": "Выберите ребёнка.",
            "invalid_choice": "Выберите ребёнка из списка: этот сертификат недоступен.",
        },
    )
    copay_agreed = forms.BooleanField(
        label="Согласен(на) на доплату семьи, указанную выше",
        required=False,
    )
    # A random token per opened page: a re-post of the same page is recognised (see views).
    once = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, certificates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certificate"].queryset = certificates
        if not self.is_bound:
            self.initial.setdefault("once", uuid.uuid4().hex)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"certificate": data["certificate"], "copay_agreed": data["copay_agreed"]}


class AcceptForm(forms.Form):
    """The co-payment the accept page showed: the parent's consent is to that amount."""

    copay_kopecks = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class TerminateForm(forms.Form):
    """One step: a confirmation the parent ticks, and an optional reason."""

    confirm = forms.BooleanField(
        label="Да, расторгнуть договор",
        error_messages={
            "required": "Отметьте «Да, расторгнуть договор»: без подтверждения договор не "
            "расторгается."
        },
    )
    reason = forms.CharField(
        label="Причина",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "например, ребёнок не хочет заниматься"}),
    )
