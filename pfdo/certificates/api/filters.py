"""Filter sets of the certificates API: applications and certificates."""

from __future__ import annotations

import django_filters

from pfdo.certificates.models import Certificate, CertificateApplication


class CertificateApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=CertificateApplication.Status.choices, label="Статус"
    )
    municipality = django_filters.CharFilter(
        field_name="municipality__code", label="Код муниципалитета, например vorkuta"
    )

    class Meta:
        model = CertificateApplication
        fields = ["status", "municipality"]


class CertificateFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(
        method="filter_number", label="Номер сертификата (10 цифр; пробелы и дефисы допустимы)"
    )
    type = django_filters.ChoiceFilter(choices=Certificate.Type.choices, label="Тип")
    status = django_filters.ChoiceFilter(choices=Certificate.Status.choices, label="Статус")
    municipality = django_filters.CharFilter(
        field_name="municipality__code", label="Код муниципалитета, например vorkuta"
    )

    class Meta:
        model = Certificate
        fields = ["number", "type", "status", "municipality"]

    def filter_number(self, queryset, name, value):
        digits = "".join(ch for ch in value if ch in "0123456789")
        return queryset.filter(number=digits)
