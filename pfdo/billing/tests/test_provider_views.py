"""Provider's billing pages: months, documents, the printable invoice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from pfdo.billing import services
from pfdo.billing.models import AdvanceRequest, Attendance, DocumentStatus, Invoice, Lesson
from pfdo.billing.tests.factories import ready_group
from pfdo.billing.tests.provider_pages import (
    ADVANCES,
    BILLING_DAY,
    BUILD_ADVANCE,
    BUILD_INVOICE,
    HOME,
    INVOICES,
    JOURNAL_PICK,
    MID_OCTOBER,
    NOV,
    OCT,
    assert_no_identifiers,
    built_invoice,
    journal_url,
    lesson_on,
    mark_url,
    rub,
    text,
)
from pfdo.common import clock
from pfdo.providers.tests.factories import add_staff

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------- the pages


def test_every_page_renders_for_staff(client, staff, provider, group, signed, contract, child):
    client.force_login(staff)
    with clock.frozen(BILLING_DAY):
        home = client.get(HOME)
        assert home.status_code == 200
        html = text(home)
        assert provider.short_name in html
        assert "Сформировать счёт за октябрь 2026" in html
        assert "Сформировать заявку на аванс за ноябрь 2026" in html
        # October is over: no advance for it any more.
        assert "Сформировать заявку на аванс за октябрь 2026" not in html

        made = client.post(BUILD_INVOICE, {"provider": provider.pk, "month": "2026-10"})
        invoice = Invoice.objects.get()
        assert made.status_code == 302
        assert made["Location"] == reverse("billing:provider_invoice", args=[invoice.pk])
        assert invoice.billed_kopecks == 2 * 200_000 and invoice.status == DocumentStatus.DRAFT
        made = client.post(BUILD_ADVANCE, {"provider": provider.pk, "month": "2026-11"})
        advance = AdvanceRequest.objects.get()
        assert made["Location"] == reverse("billing:provider_advance", args=[advance.pk])
        assert advance.amount_kopecks == 2 * 160_000  # 80 % of 2 000,00 ₽ for each child

        pages = {
            HOME: ["Счёт № ", "Заявка № ", "октябрь 2026"],
            ADVANCES: ["ноябрь 2026", rub(320_000)],
            INVOICES: ["октябрь 2026", rub(400_000)],
            reverse("billing:provider_advance", args=[advance.pk]): [
                contract.number,
                "Соколова Дарья",
                "Андреев Илья",
                "Подать плательщику",
                "Пересчитать",
                "80 %",
            ],
            reverse("billing:provider_invoice", args=[invoice.pk]): [
                contract.number,
                "Соколова Дарья",
                "01.10.2026–31.10.2026",
                "Подать плательщику",
                "Сформировать заново",
                reverse("billing:provider_invoice_print", args=[invoice.pk]),
                "К перечислению",
            ],
            reverse("billing:provider_invoice_print", args=[invoice.pk]): [
                contract.number,
                "Соколова Дарья",
                provider.inn,
            ],
            JOURNAL_PICK: [group.name],
            journal_url(group): ["Соколова Дарья", "Андреев Илья", "06.10", "27.10"],
        }
        for url, expected in pages.items():
            response = client.get(url)
            assert response.status_code == 200, url
            html = text(response)
            for piece in expected:
                assert piece in html, (url, piece)
            assert_no_identifiers(html, child)


def test_journal_pick_opens_the_group_month(client, staff, group, other_staff):
    client.force_login(staff)
    with clock.frozen(MID_OCTOBER):
        page = client.get(JOURNAL_PICK)
        assert page.status_code == 200 and group.name in text(page)
        chosen = client.get(JOURNAL_PICK, {"group": group.pk, "month": "2026-10"})
        assert chosen.status_code == 302 and chosen["Location"] == journal_url(group)
        bad = client.get(JOURNAL_PICK, {"group": group.pk, "month": "октябрь"})
        assert bad.status_code == 200 and "Месяц в формате ГГГГ-ММ." in text(bad)
    foreign = ready_group(group.module.program.municipality)
    client.force_login(staff)
    refused = client.get(JOURNAL_PICK, {"group": foreign.pk, "month": "2026-10"})
    assert refused.status_code == 200 and "Выберите группу из списка." in text(refused)


# ---------------------------------------------------------------------- access


def test_another_providers_staff_gets_404(client, staff, other_staff, provider, group, signed):
    invoice = built_invoice(staff, provider)
    with clock.frozen(BILLING_DAY):
        advance = services.build_advance(actor=staff, provider=provider, month=NOV)
    lesson = lesson_on(group, dt.date(2026, 10, 6))
    client.force_login(other_staff)
    with clock.frozen(BILLING_DAY):
        for url, method in [
            (reverse("billing:provider_advance", args=[advance.pk]), "get"),
            (reverse("billing:provider_advance_submit", args=[advance.pk]), "post"),
            (reverse("billing:provider_advance_rebuild", args=[advance.pk]), "post"),
            (reverse("billing:provider_invoice", args=[invoice.pk]), "get"),
            (reverse("billing:provider_invoice_submit", args=[invoice.pk]), "post"),
            (reverse("billing:provider_invoice_rebuild", args=[invoice.pk]), "post"),
            (reverse("billing:provider_invoice_print", args=[invoice.pk]), "get"),
            (journal_url(group), "get"),
            (mark_url(lesson), "post"),
            (reverse("billing:provider_lesson_cancel", args=[lesson.pk]), "post"),
            (reverse("billing:provider_lesson_restore", args=[lesson.pk]), "post"),
            (reverse("billing:provider_lesson_move", args=[lesson.pk]), "post"),
            (f"{HOME}?provider={provider.pk}", "get"),
            (BUILD_INVOICE, "post"),
            (BUILD_ADVANCE, "post"),
        ]:
            data = {
                "provider": provider.pk,
                "month": "2026-10",
                "marks": [1],
                "reason": "x",
                "held_on": "2026-10-08",
                "starts_at": "10:00",
                "ends_at": "11:00",
            }
            response = getattr(client, method)(url, data if method == "post" else None)
            assert response.status_code == 404, url
        # Their own lists are empty of the other provider's documents.
        for url in (ADVANCES, INVOICES):
            page = client.get(url)
            assert page.status_code == 200 and page.context["documents"] == []
    invoice.refresh_from_db()
    advance.refresh_from_db()
    assert invoice.status == advance.status == DocumentStatus.DRAFT
    assert not Attendance.objects.exists()
    assert lesson_on(group, dt.date(2026, 10, 6)).status == Lesson.Status.PLANNED


def test_parents_operators_and_anonymous_are_refused(
    client, make_user, vorkuta, operator, staff, provider, group, signed
):
    invoice = built_invoice(staff, provider)
    lesson = lesson_on(group, dt.date(2026, 10, 6))
    print_url = reverse("billing:provider_invoice_print", args=[invoice.pk])
    pages = [
        HOME,
        ADVANCES,
        INVOICES,
        JOURNAL_PICK,
        journal_url(group),
        reverse("billing:provider_invoice", args=[invoice.pk]),
    ]
    posts = [
        BUILD_INVOICE,
        reverse("billing:provider_invoice_submit", args=[invoice.pk]),
        mark_url(lesson),
    ]
    for url in [*pages, print_url]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for url in posts:
        assert client.post(url, {"month": "2026-10"}).status_code == 302, url
    # The child's own parent (password already changed) and the operator: not staff.
    parent = signed[0][0].parent
    type(parent).objects.filter(pk=parent.pk).update(must_change_password=False)
    for user in (parent, operator):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 403, (user, url)
        for url in posts:
            assert client.post(url, {"month": "2026-10"}).status_code == 403, (user, url)
    client.force_login(parent)
    assert client.get(print_url).status_code == 404  # not theirs to see
    # Staff whose organisation has not added them yet: told so, shown nothing.
    client.force_login(make_user("provider_staff", municipality=vorkuta))
    loose = client.get(HOME)
    assert loose.status_code == 200 and "не привязан ни к одной организации" in text(loose)
    detail = text(client.get(reverse("billing:provider_invoice", args=[invoice.pk])))
    assert "не привязан ни к одной организации" in detail and "Строки счёта" not in detail
    assert client.get(print_url).status_code == 404
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.DRAFT and not Attendance.objects.exists()


# ------------------------------------------------------------------ building, submitting


def test_building_too_early_shows_the_message_and_creates_nothing(client, staff, provider, signed):
    client.force_login(staff)
    with clock.frozen(dt.date(2026, 10, 20)):
        home = text(client.get(HOME))
        assert "Сформировать счёт за октябрь 2026" not in home
        assert "Сформировать заявку на аванс за октябрь 2026" in home
        # The service's own refusal, the one the button below answers with.
        assert (
            "Счёт за октябрь 2026 можно сформировать с 01.11.2026: месяц ещё не закончился." in home
        )
        page = client.post(
            BUILD_INVOICE, {"provider": provider.pk, "month": "2026-10"}, follow=True
        )
        assert page.status_code == 200
        assert (
            "Счёт за октябрь 2026 можно сформировать с 01.11.2026: месяц ещё не закончился."
            in text(page)
        )
        assert page.redirect_chain[-1][0] == f"{HOME}?provider={provider.pk}"
        bad = client.post(BUILD_INVOICE, {"provider": provider.pk, "month": "10.2026"}, follow=True)
        assert "Месяц в формате ГГГГ-ММ." in text(bad)
    with clock.frozen(OCT):  # the 2nd working day of October is the 2nd
        page = client.post(
            BUILD_ADVANCE, {"provider": provider.pk, "month": "2026-10"}, follow=True
        )
        assert "Заявку на аванс за октябрь 2026 можно сформировать с 02.10.2026." in text(page)
    assert not Invoice.objects.exists() and not AdvanceRequest.objects.exists()


def test_submit_rebuild_and_rejection_reason(client, staff, payer, provider, signed):
    client.force_login(staff)
    invoice = built_invoice(staff, provider)
    url = reverse("billing:provider_invoice", args=[invoice.pk])
    with clock.frozen(BILLING_DAY):
        rebuilt = client.post(
            reverse("billing:provider_invoice_rebuild", args=[invoice.pk]), follow=True
        )
        assert "сформирован заново" in text(rebuilt)
        assert Invoice.objects.get().pk == invoice.pk
        done = client.post(reverse("billing:provider_invoice_submit", args=[invoice.pk]))
        assert done.status_code == 302 and done["Location"] == url
        invoice.refresh_from_db()
        assert invoice.status == DocumentStatus.SUBMITTED and invoice.submitted_by == staff
        page = text(client.get(url))
        assert "подан плательщику" in page
        assert "Подать плательщику" not in page and "Сформировать заново" not in page
        # A stale form posted again changes nothing and says why.
        again = client.post(
            reverse("billing:provider_invoice_rebuild", args=[invoice.pk]), follow=True
        )
        assert "Счёт за октябрь 2026 уже подан плательщику." in text(again)
        twice = client.post(
            reverse("billing:provider_invoice_submit", args=[invoice.pk]), follow=True
        )
        assert "Подать можно только черновик" in text(twice)
        invoice.refresh_from_db()
        assert invoice.status == DocumentStatus.SUBMITTED

        advance = services.build_advance(actor=staff, provider=provider, month=NOV)
        advance_url = reverse("billing:provider_advance", args=[advance.pk])
        client.post(reverse("billing:provider_advance_submit", args=[advance.pk]))
        advance.refresh_from_db()
        assert advance.status == DocumentStatus.SUBMITTED
        services.reject_advance(actor=payer, advance=advance, reason="Нет подписи руководителя")
        page = text(client.get(advance_url))
        assert "Нет подписи руководителя" in page and "Пересчитать" in page
        assert "Подать плательщику" not in page
        client.post(reverse("billing:provider_advance_rebuild", args=[advance.pk]))
        advance.refresh_from_db()
        assert advance.status == DocumentStatus.DRAFT and advance.reject_reason == ""
        assert "Подать плательщику" in text(client.get(advance_url))


def test_accepted_invoice_shows_pay_by_payments_and_owed_totals(
    client, staff, payer, provider, signed
):
    invoice = built_invoice(staff, provider)
    with clock.frozen(BILLING_DAY):
        services.submit_invoice(actor=staff, invoice=invoice)
        services.accept_invoice(actor=payer, invoice=invoice)
        services.record_payment(
            actor=payer,
            document=invoice,
            order_number="417",
            paid_on=BILLING_DAY,
            amount_kopecks=150_000,
        )
        client.force_login(staff)
        page = client.get(reverse("billing:provider_invoice", args=[invoice.pk]))
        html = text(page)
        assert "№ 417" in html and rub(150_000) in html  # the payment
        assert rub(250_000) in html  # outstanding of 4 000,00
        home = client.get(HOME)
        owed = home.context["owed"]
        assert owed.invoices.accepted_kopecks == 400_000
        assert owed.paid_kopecks == 150_000 and owed.outstanding_kopecks == 250_000
        assert rub(250_000) in text(home)
        printed = text(client.get(reverse("billing:provider_invoice_print", args=[invoice.pk])))
        assert "п/п № 417 от 03.11.2026" in printed


def test_lists_filter_by_month_and_status(client, staff, provider, signed):
    invoice = built_invoice(staff, provider)
    with clock.frozen(BILLING_DAY):
        services.submit_invoice(actor=staff, invoice=invoice)
        advance = services.build_advance(actor=staff, provider=provider, month=NOV)
    client.force_login(staff)
    with clock.frozen(BILLING_DAY):
        assert client.get(INVOICES).context["documents"] == [invoice]
        assert client.get(INVOICES, {"month": "2026-10"}).context["documents"] == [invoice]
        assert client.get(INVOICES, {"month": "2026-11"}).context["documents"] == []
        assert client.get(INVOICES, {"status": "submitted"}).context["documents"] == [invoice]
        assert client.get(INVOICES, {"status": "draft"}).context["documents"] == []
        assert client.get(ADVANCES, {"status": "draft"}).context["documents"] == [advance]
        assert client.get(ADVANCES, {"status": "accepted"}).context["documents"] == []
        bad = client.get(ADVANCES, {"month": "ноябрь"})
        assert bad.status_code == 200 and bad.context["documents"] == []
        assert "Месяц в формате ГГГГ-ММ." in text(bad)


def test_staff_of_two_providers_chooses_whose_billing(client, vorkuta, period, staff, provider):
    second = ready_group(vorkuta).module.program.provider
    add_staff(second, user=staff, is_admin=False)
    client.force_login(staff)
    with clock.frozen(BILLING_DAY):
        first_page = client.get(HOME)
        assert first_page.context["provider"] == provider  # where they are an admin
        assert 'name="provider"' in text(first_page) and second.short_name in text(first_page)
        other = client.get(HOME, {"provider": second.pk})
        assert other.status_code == 200 and other.context["provider"] == second
        made = client.post(BUILD_INVOICE, {"provider": second.pk, "month": "2026-10"})
        assert made.status_code == 302
        assert Invoice.objects.get().provider == second
        listed = client.get(INVOICES)
        assert "Организация" in text(listed) and second.short_name in text(listed)
        assert client.get(HOME, {"provider": "x"}).status_code == 404


# ---------------------------------------------------------------------- printable invoice


def test_printable_invoice_has_its_lines_and_no_personal_identifiers(
    client, staff, payer, provider, signed, child
):
    (_, first), (_, second) = signed
    invoice = built_invoice(staff, provider)
    url = reverse("billing:provider_invoice_print", args=[invoice.pk])
    with clock.frozen(BILLING_DAY):
        client.force_login(staff)
        page = client.get(url)
        assert page.status_code == 200
        html = text(page)
        for piece in (
            f'Счёт № <span data-testid="number">{invoice.pk}</span> за октябрь 2026',
            first.number,
            second.number,
            "Соколова Дарья",
            "Андреев Илья",
            "01.10.2026–31.10.2026",
            rub(200_000),
            rub(400_000),
            provider.full_name,
        ):
            assert piece in html, piece
        assert_no_identifiers(html, child)
        assert_no_identifiers(html, signed[1][0].child)
        # The same page serves the payer of the municipality (the view is for_user-scoped).
        client.force_login(payer)
        assert client.get(url).status_code == 200
