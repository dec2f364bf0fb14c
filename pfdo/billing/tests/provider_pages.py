"""What the tests of the provider's billing pages share: dates, URLs, page helpers.
(The fixtures `period`, `group`, `provider`, `staff`, `signed`, … are in the conftest.)"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from pfdo.billing import services
from pfdo.billing.models import Invoice, Lesson
from pfdo.catalog.models import Group
from pfdo.common import clock
from pfdo.common.money import format_kopecks

SEP, OCT, NOV = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)
MID_OCTOBER = dt.date(2026, 10, 14)  # a Wednesday: the Tuesday lessons of 6 and 13 are held
BILLING_DAY = dt.date(2026, 11, 3)  # October may be invoiced, November's advance filed
BIRTH = dt.date(2016, 5, 14)
BIRTH_SHAPES = ("14.05.2016", "2016-05-14", "14 мая 2016", "14.05.16")

HOME = "/cabinet/provider/billing/"
ADVANCES = "/cabinet/provider/billing/advances/"
INVOICES = "/cabinet/provider/billing/invoices/"
JOURNAL_PICK = "/cabinet/provider/billing/journal/"
BUILD_ADVANCE = "/cabinet/provider/billing/advances/build/"
BUILD_INVOICE = "/cabinet/provider/billing/invoices/build/"


def rub(kopecks: int) -> str:
    return format_kopecks(kopecks)


def text(response) -> str:
    return response.content.decode()


def assert_no_identifiers(html: str, child) -> None:
    """What a provider's page never shows: СНИЛС, the document, the birth date, the full name
    with the patronymic (only the short name)."""
    for secret in (child.snils, child.snils_display, child.document_number, *BIRTH_SHAPES):
        assert secret not in html, secret
    assert child.full_name not in html


def lesson_on(group, day: dt.date) -> Lesson:
    return Lesson.objects.get(group=group, scheduled_on=day)


def mark_url(lesson) -> str:
    return reverse("billing:provider_lesson_mark", args=[lesson.pk])


def journal_url(group, month=OCT) -> str:
    return reverse("billing:provider_journal", args=[group.pk]) + f"?month={month:%Y-%m}"


def built_invoice(staff, provider) -> Invoice:
    """October's invoice, built on 3 November; October's lessons of the group written too."""
    with clock.frozen(BILLING_DAY):
        for group in Group.objects.filter(module__program__provider=provider):
            services.ensure_lessons(group=group, month=OCT)
        return services.build_invoice(actor=staff, provider=provider, month=OCT)
