"""Filter sets of billing, shared by the API and the pages: lessons, attendance, advance
requests, invoices, payments."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field

from pfdo.billing.models import AdvanceRequest, Attendance, DocumentStatus, Invoice, Lesson, Payment
from pfdo.common.fields import MonthFormField
from pfdo.common.filters import DateFilter, IdFilter
from pfdo.common.months import MONTH_SCHEMA, month_end


@extend_schema_field(MONTH_SCHEMA)
class MonthFilter(django_filters.Filter):
    """`month=YYYY-MM`: a date field inside that month (or, `exact`, the month's first day)."""

    field_class = MonthFormField

    def __init__(self, *args, whole_month: bool = True, **kwargs):
        self.whole_month = whole_month
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        if not self.whole_month:
            return qs.filter(**{self.field_name: value})
        return qs.filter(
            **{
                f"{self.field_name}__gte": value,
                f"{self.field_name}__lte": month_end(value),
            }
        )


def _id(what: str, field_name: str) -> IdFilter:
    return IdFilter(label=what, field_name=field_name, what=what)


def _date(label: str, lookup: str) -> DateFilter:
    return DateFilter(
        field_name="paid_on",
        lookup_expr=lookup,
        label=label,
        error_messages={"invalid": "Дата — в формате ГГГГ-ММ-ДД."},
    )


class LessonFilter(django_filters.FilterSet):
    group = _id("Группа", "group_id")
    month = MonthFilter(field_name="held_on", label="Месяц проведения, ГГГГ-ММ")
    status = django_filters.ChoiceFilter(choices=Lesson.Status.choices, label="Статус")

    class Meta:
        model = Lesson
        fields = ["group", "month", "status"]


class AttendanceFilter(django_filters.FilterSet):
    lesson = _id("Занятие", "lesson_id")
    group = _id("Группа", "lesson__group_id")
    contract = _id("Договор", "contract_id")
    month = MonthFilter(field_name="lesson__held_on", label="Месяц занятия, ГГГГ-ММ")

    class Meta:
        model = Attendance
        fields = ["lesson", "group", "contract", "month"]


class _DocumentFilter(django_filters.FilterSet):
    provider = _id("Поставщик", "provider_id")
    month = MonthFilter(field_name="month", whole_month=False, label="Месяц, ГГГГ-ММ")
    status = django_filters.ChoiceFilter(choices=DocumentStatus.choices, label="Статус")


class AdvanceRequestFilter(_DocumentFilter):
    class Meta:
        model = AdvanceRequest
        fields = ["provider", "month", "status"]


class InvoiceFilter(_DocumentFilter):
    class Meta:
        model = Invoice
        fields = ["provider", "month", "status"]


@extend_schema_field(MONTH_SCHEMA)
class DocumentMonthFilter(MonthFilter):
    """The month of the advance request or invoice the payment was for."""

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(Q(invoice__month=value) | Q(advance__month=value))


class PaymentFilter(django_filters.FilterSet):
    provider = _id("Поставщик", "provider_id")
    month = DocumentMonthFilter(label="Месяц оплаченного документа, ГГГГ-ММ")
    paid_from = _date("Оплачено с (ГГГГ-ММ-ДД)", "gte")
    paid_to = _date("Оплачено по (ГГГГ-ММ-ДД)", "lte")
    invoice = _id("Счёт", "invoice_id")
    advance_request = _id("Заявка на аванс", "advance_id")

    class Meta:
        model = Payment
        fields = ["provider", "month", "paid_from", "paid_to", "invoice", "advance_request"]
