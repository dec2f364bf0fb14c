"""Filter sets of certificates and applications: the API's, and the operator's pages'."""

from __future__ import annotations

import django_filters
from django import forms

from pfdo.certificates import selectors
from pfdo.certificates.models import Certificate, CertificateApplication
from pfdo.common.filters import CharFilter
from pfdo.common.forms import ModelChoiceField

# ------------------------------------------------------- applications: the page and the API


class _SearchForm(forms.Form):
    def clean_q(self):
        value = self.cleaned_data.get("q") or ""
        if "\x00" in value:
            raise forms.ValidationError("Недопустимые символы.")
        return " ".join(value.split())


APPLICATION_ORDERING = [
    ("-created_at", "сначала новые"),
    ("created_at", "сначала старые"),
]


class ApplicationSearchFilter(django_filters.FilterSet):
    """Search and order of certificate applications, the same on the operator's queue and
    in /api/v1/certificate-applications/: by number or the child's name, newest first unless
    asked. Searches only what the reader's scope already holds."""

    q = CharFilter(
        method="filter_q",
        label="Номер заявления или ФИО ребёнка",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Номер или фамилия"}),
    )
    ordering = django_filters.ChoiceFilter(
        method="filter_ordering",
        label="Порядок",
        choices=APPLICATION_ORDERING,
        empty_label=None,
    )

    class Meta:
        model = CertificateApplication
        fields = ["q", "ordering"]
        form = _SearchForm

    def filter_q(self, queryset, name, value):
        return selectors.search_applications(queryset, value)

    def filter_ordering(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        newest = self.form.cleaned_data.get("ordering") != "created_at"
        if newest:
            return queryset.order_by("-created_at", "-pk")
        return queryset.order_by("created_at", "pk")


class CertificateApplicationFilter(ApplicationSearchFilter):
    status = django_filters.ChoiceFilter(
        choices=CertificateApplication.Status.choices, label="Статус"
    )
    municipality = CharFilter(
        field_name="municipality__code", label="Код муниципалитета, например vorkuta"
    )

    class Meta(ApplicationSearchFilter.Meta):
        fields = ["status", "municipality", "q", "ordering"]


class CertificateFilter(django_filters.FilterSet):
    number = CharFilter(
        method="filter_number", label="Номер сертификата (10 цифр; пробелы и дефисы допустимы)"
    )
    type = django_filters.ChoiceFilter(choices=Certificate.Type.choices, label="Тип")
    status = django_filters.ChoiceFilter(choices=Certificate.Status.choices, label="Статус")
    municipality = CharFilter(
        field_name="municipality__code", label="Код муниципалитета, например vorkuta"
    )

    class Meta:
        model = Certificate
        fields = ["number", "type", "status", "municipality"]

    def filter_number(self, queryset, name, value):
        digits = "".join(ch for ch in value if ch in "0123456789")
        return queryset.filter(number=digits)


# ------------------------------------------------------------------------------- the pages


class _RegistryForm(forms.Form):
    def clean_q(self):
        value = self.cleaned_data["q"]
        if "\x00" in value:
            raise forms.ValidationError("Недопустимые символы.")
        return " ".join(value.split())


class _MunicipalityFilter(django_filters.ModelChoiceFilter):
    field_class = ModelChoiceField  # a NUL byte is a field error, not a database error


class RegistryFilter(django_filters.FilterSet):
    """The operator's registry: municipality (when there is a choice), number or name, type,
    status. The same type and status choices as the API's `CertificateFilter`."""

    municipality = _MunicipalityFilter(
        queryset=None, label="Муниципалитет", empty_label="Все муниципалитеты"
    )
    q = CharFilter(
        method="filter_q",
        label="Номер сертификата или ФИО ребёнка",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Номер или фамилия"}),
    )
    type = django_filters.ChoiceFilter(
        choices=Certificate.Type.choices, label="Тип", empty_label="Все типы"
    )
    status = django_filters.ChoiceFilter(
        choices=Certificate.Status.choices, label="Статус", empty_label="Все статусы"
    )

    class Meta:
        model = Certificate
        fields = ["municipality", "q", "type", "status"]
        form = _RegistryForm

    def __init__(self, data=None, *args, municipalities=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        options = list(municipalities[:2]) if municipalities is not None else []
        self.only_municipality = None
        if len(options) < 2:
            # Nothing to choose: the one municipality the official manages, if any.
            del self.filters["municipality"]
            self.only_municipality = options[0] if options else None
        else:
            self.filters["municipality"].queryset = municipalities

    @property
    def qs(self):
        # A form with a mistake filters nothing: the page shows the error over the full list.
        if self.is_bound and not self.is_valid():
            return self.queryset.all()
        return super().qs

    def filter_q(self, queryset, name, value):
        return selectors.search_registry(queryset, value)

    def chosen_municipality(self):
        """The municipality chosen in a valid form, or the only one the official manages."""
        data = self.form.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("municipality") or self.only_municipality

    def search_text(self) -> str:
        return self.form.cleaned_data.get("q", "") if self.is_bound and self.is_valid() else ""


class QueueFilter(ApplicationSearchFilter):
    """The operator's queue of applications: open ones by default, one status, or all;
    searched and ordered as the API's (newest first by default)."""

    OPEN = "open"
    ALL = "all"

    status = django_filters.ChoiceFilter(
        method="filter_status",
        label="Статус",
        empty_label=None,
        choices=[
            (OPEN, "Открытые (поданные и проверенные)"),
            *CertificateApplication.Status.choices,
            (ALL, "Все"),
        ],
    )

    class Meta(ApplicationSearchFilter.Meta):
        fields = ["status", "q", "ordering"]

    def filter_status(self, queryset, name, value):
        if value == self.ALL:
            return queryset
        if value == self.OPEN:
            return queryset.open()
        return queryset.filter(status=value)

    @property
    def qs(self):
        # A form with a mistake (or no form) shows the open applications, newest first, as
        # the page's default; the mistake is shown on the form.
        if not (self.is_bound and self.is_valid()):
            return self.queryset.open().order_by("-created_at", "-pk")
        qs = super().qs
        if not self.form.cleaned_data.get("status"):
            qs = qs.open()
        return qs
