"""Provider's billing pages: months, documents, the attendance journal, the printable invoice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from pfdo.billing import services
from pfdo.billing.models import AdvanceRequest, Attendance, DocumentStatus, Invoice, Lesson
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract, staff_of
from pfdo.catalog.models import Group
from pfdo.common import clock
from pfdo.common.money import format_kopecks
from pfdo.providers.tests.factories import add_staff

pytestmark = pytest.mark.django_db

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


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def group(vorkuta, period):
    """Tuesdays 16:00–17:30, September 2026 – May 2027."""
    return ready_group(vorkuta, price=1_800_000, normative=2_000_000)


@pytest.fixture
def provider(group):
    return group.module.program.provider


@pytest.fixture
def staff(provider):
    return staff_of(provider)


@pytest.fixture
def signed(vorkuta, operator, group):
    """Two children with contracts signed on 1 September."""
    first = signed_contract(
        vorkuta, operator, group, last_name="Соколова", first_name="Дарья", birth_date=BIRTH
    )
    second = signed_contract(vorkuta, operator, group, last_name="Андреев", first_name="Илья")
    return first, second


@pytest.fixture
def contract(signed):
    return signed[0][1]


@pytest.fixture
def child(signed):
    return signed[0][0].child


@pytest.fixture
def other_staff(vorkuta, period):
    """Staff of another provider of the same municipality."""
    return staff_of(ready_group(vorkuta).module.program.provider)


@pytest.fixture
def payer(make_user, vorkuta):
    return make_user("payer", municipality=vorkuta)


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
        assert "Можно сформировать с 01.11.2026." in home
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


# ---------------------------------------------------------------------------- journal


def test_journal_grid_marks_and_future_lessons(client, staff, group, signed):
    (_, first), (_, second) = signed
    client.force_login(staff)
    with clock.frozen(MID_OCTOBER):
        page = client.get(journal_url(group))
        assert page.status_code == 200
        held, future = (
            lesson_on(group, dt.date(2026, 10, 13)),
            lesson_on(group, OCT.replace(day=20)),
        )
        html = text(page)
        assert mark_url(held) in html
        assert mark_url(future) not in html  # not markable: no form, no checkboxes
        assert f'form="mark-{future.pk}"' not in html
        assert f'form="mark-{held.pk}"' in html

        done = client.post(mark_url(held), {"marks": [first.pk, second.pk], "present": [first.pk]})
        assert done.status_code == 302 and done["Location"] == journal_url(group)
        marks = dict(Attendance.objects.values_list("contract_id", "present"))
        assert marks == {first.pk: True, second.pk: False}
        page = client.get(journal_url(group))
        assert page.context["rows"][0].attended + page.context["rows"][1].attended == 1
        assert "присутствовали 1 из 2" in text(page)

        # htmx: the journal block comes back with the result, no page around it.
        first_lesson = lesson_on(group, dt.date(2026, 10, 6))
        block = client.post(
            mark_url(first_lesson),
            {"marks": [first.pk, second.pk], "present": [first.pk, second.pk]},
            HTTP_HX_REQUEST="true",
        )
        assert block.status_code == 200 and "<html" not in text(block)
        assert "Посещаемость за 06.10.2026 сохранена: присутствовали 2 из 2." in text(block)
        assert Attendance.objects.filter(lesson=first_lesson, present=True).count() == 2


def test_marking_future_lesson_or_foreign_child_shows_message_writes_nothing(
    client, vorkuta, operator, staff, provider, group, signed
):
    (_, first), _ = signed
    # A child of another group of the same provider.
    elsewhere = ready_group(vorkuta, provider=provider, weekday=4)
    _, stranger = signed_contract(vorkuta, operator, elsewhere, last_name="Чужова")
    client.force_login(staff)
    with clock.frozen(MID_OCTOBER):
        services.ensure_lessons(group=group, month=OCT)
        future = lesson_on(group, dt.date(2026, 10, 20))
        page = client.post(mark_url(future), {"marks": [first.pk], "present": [first.pk]})
        assert page.status_code == 200
        html = text(page)
        assert "Занятие 20.10.2026 ещё не прошло: отметить посещаемость нельзя." in html
        assert f'id="id_l{future.pk}_marks_errors"' in html  # next to its column

        held = lesson_on(group, dt.date(2026, 10, 13))
        page = client.post(
            mark_url(held), {"marks": [first.pk, stranger.pk], "present": [stranger.pk]}
        )
        assert page.status_code == 200
        html = text(page)
        assert f"Договоры не из этой группы на дату занятия: {stranger.pk}." in html
        assert f'id="id_l{held.pk}_marks_errors"' in html
        assert "Чужова" not in html

        junk = client.post(mark_url(held), {"marks": ["abc"]})
        assert "Список детей передан неверно" in text(junk)
    assert not Attendance.objects.exists()


def test_journal_is_read_only_after_the_invoice_is_submitted(
    client, staff, provider, group, signed
):
    (_, first), (_, second) = signed
    held = None
    with clock.frozen(MID_OCTOBER):
        services.ensure_lessons(group=group, month=OCT)
        held = lesson_on(group, dt.date(2026, 10, 6))
        services.mark_attendance(actor=staff, lesson=held, marks={first.pk: True, second.pk: True})
    invoice = built_invoice(staff, provider)
    with clock.frozen(BILLING_DAY):
        services.submit_invoice(actor=staff, invoice=invoice)
        client.force_login(staff)
        page = client.get(journal_url(group))
        html = text(page)
        assert page.context["journal"].locked
        assert "журнал этого месяца только для просмотра" in html
        assert 'name="present"' not in html
        assert "/attendance/" not in html and "/cancel/" not in html and "/move/" not in html
        assert "✓" in html  # the marks are still shown
        refused = client.post(mark_url(held), {"marks": [first.pk], "present": []})
        assert refused.status_code == 200
        assert "Счёт за октябрь 2026 уже подан: журнал этого месяца изменить нельзя." in text(
            refused
        )
        cancel = client.post(
            reverse("billing:provider_lesson_cancel", args=[held.pk]), {"reason": "Карантин"}
        )
        assert "журнал этого месяца изменить нельзя" in text(cancel)
    assert set(Attendance.objects.values_list("present", flat=True)) == {True}
    assert lesson_on(group, dt.date(2026, 10, 6)).status == Lesson.Status.PLANNED


def test_cancel_restore_and_move_lessons(client, staff, group, signed):
    client.force_login(staff)
    with clock.frozen(MID_OCTOBER):
        services.ensure_lessons(group=group, month=OCT)
        lesson = lesson_on(group, dt.date(2026, 10, 20))
        cancel_url = reverse("billing:provider_lesson_cancel", args=[lesson.pk])
        empty = client.post(cancel_url, {"reason": " "})
        assert empty.status_code == 200 and "Укажите причину отмены." in text(empty)
        assert lesson_on(group, dt.date(2026, 10, 20)).status == Lesson.Status.PLANNED

        done = client.post(cancel_url, {"reason": "Учитель на курсах"})
        assert done.status_code == 302 and done["Location"] == journal_url(group)
        lesson.refresh_from_db()
        assert lesson.status == Lesson.Status.CANCELLED and lesson.note == "Учитель на курсах"
        html = text(client.get(journal_url(group)))
        assert "Учитель на курсах" in html and mark_url(lesson) not in html
        assert reverse("billing:provider_lesson_restore", args=[lesson.pk]) in html

        restored = client.post(
            reverse("billing:provider_lesson_restore", args=[lesson.pk]), HTTP_HX_REQUEST="true"
        )
        assert restored.status_code == 200
        fragment = text(restored)
        assert fragment.lstrip().startswith('<div id="journal">') and "<html" not in fragment
        assert "Занятие 20.10.2026 восстановлено." in fragment
        lesson.refresh_from_db()
        assert lesson.status == Lesson.Status.PLANNED

        move_url = reverse("billing:provider_lesson_move", args=[lesson.pk])
        wrong = client.post(
            move_url, {"held_on": "2026-10-22", "starts_at": "18:00", "ends_at": "17:00"}
        )
        assert wrong.status_code == 200
        assert f'id="id_l{lesson.pk}_ends_at_errors"' in text(wrong)
        assert "Занятие должно заканчиваться позже, чем начинается." in text(wrong)
        moved = client.post(
            move_url, {"held_on": "2026-10-22", "starts_at": "18:00", "ends_at": "19:30"}
        )
        assert moved.status_code == 302
        lesson.refresh_from_db()
        assert (lesson.held_on, lesson.starts_at, lesson.ends_at) == (
            dt.date(2026, 10, 22),
            dt.time(18, 0),
            dt.time(19, 30),
        )
        html = text(client.get(journal_url(group)))
        assert "22.10.2026, 18:00–19:30" in html and "по расписанию 20.10.2026 16:00" in html


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
