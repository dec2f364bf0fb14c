"""The public enrolment check's form (no login)."""

from __future__ import annotations

from django import forms


class EnrolmentCheckForm(forms.Form):
    surname = forms.CharField(
        label="Фамилия ребёнка",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    first_name = forms.CharField(
        label="Имя ребёнка",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    document_suffix = forms.CharField(
        label="Последние 4 цифры номера документа",
        max_length=20,
        help_text="Свидетельства о рождении или паспорта ребёнка (если паспорт уже получен, "
        "проверьте и по свидетельству): например, для II-ЕА 123456 — 3456.",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}"}
        ),
    )
