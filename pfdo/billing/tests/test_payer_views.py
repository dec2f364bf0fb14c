"""Billing pages of the payer and officials: the month's documents, decisions, payments, the
month run, reconciliation and the period close; who may read and who may act."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.urls import reverse

from pfdo.billing import services
from pfdo.billing.models import AdvanceRequest, DocumentStatus, Invoice, Payment, PeriodClosing
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract, staff_of
from pfdo.common import clock
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.jobs.models import Job
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import verify_ledger
from pfdo.territory.tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
INVOICE_DAY = dt.date(2026, 11, 2)  # the October invoice may be built and paid
MONTH = 200_000  # 1 800 000 over the group's nine months
NBSP = "\u00a0"

OVERVIEW = reverse("billing:official_overview")
RUN = reverse("billing:payer_run")
PAYMENTS = reverse("billing:official_payments")
RECONCILIATION = reverse("billing:official_reconciliation")
PERIODS = reverse("billing:official_periods")


def rub(kopecks: int) -> str:
    roubles, kop = divmod(kopecks, 100)
    return f"{roubles:,}".replace(",", NBSP) + f",{kop:02d}{NBSP}₽"


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def login(client, user):
    type(user).objects.filter(pk=user.pk).update(must_change_password=False)
    client.force_login(user)
    return client


def field_errors(page: str, name: str) -> str:
    found = re.search(rf'id="id_{name}_error"[^>]*>(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(INVOICE_DAY):
        yield


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def payer(make_user, vorkuta):
    return make_user("payer", municipality=vorkuta)


@pytest.fixture
def regional(make_user, region):
    return make_user("regional_admin", region=region)


@pytest.fixture
def group(vorkuta, period):
    return ready_group(vorkuta)


@pytest.fixture
def provider(group):
    return group.module.program.provider


@pytest.fixture
def staff(provider):
    return staff_of(provider)


@pytest.fixture
def contract(vorkuta, operator, group):
    return signed_contract(vorkuta, operator, group)[1]


@pytest.fixture
def invoice(contract, provider, staff):
    """The October invoice, submitted to the payer."""
    invoice = services.build_invoice(actor=staff, provider=provider, month=OCT)
    return services.submit_invoice(actor=staff, invoice=invoice)


def accepted(invoice, payer):
    return services.accept_invoice(actor=payer, invoice=invoice)


def invoice_url(invoice, action: str = "") -> str:
    if action:
        return reverse(f"billing:payer_invoice_{action}", args=[invoice.pk])
    return reverse("billing:official_invoice", args=[invoice.pk])


def pay_transfers() -> int:
    return Transfer.objects.filter(kind=Transfer.Kind.PAY).count()


# ------------------------------------------------------------------------ who reads


@pytest.mark.parametrize("who", ["payer", "operator", "regional"])
def test_officials_read_every_page(client, request, who, invoice, provider):
    user = request.getfixturevalue(who)
    login(client, user)
    page = client.get(OVERVIEW, {"month": "2026-10"})
    assert page.status_code == 200
    html = text(page)
    assert f"Счёт № {invoice.pk}" in html and provider.short_name in html
    detail = client.get(invoice_url(invoice))
    assert detail.status_code == 200
    html = text(detail)
    assert "подан плательщику" in html and rub(MONTH) in html
    # Only the payer is offered the decision.
    assert ('data-testid="accept"' in html) == (who == "payer")
    for url in (PAYMENTS, RECONCILIATION, PERIODS):
        assert client.get(url).status_code == 200, url
    print_url = reverse("billing:provider_invoice_print", args=[invoice.pk])
    assert f'href="{print_url}"' in html
    printed = client.get(print_url)
    assert printed.status_code == 200 and provider.short_name in text(printed)


def test_only_the_payer_runs_the_month(client, operator, regional, payer, period):
    assert login(client, payer).get(RUN).status_code == 200
    for user in (operator, regional):
        login(client, user)
        assert client.get(RUN).status_code == 403
        assert client.post(RUN, {"month": "2026-10"}).status_code == 403


def test_officials_cannot_act_for_the_payer(client, operator, regional, invoice):
    for user in (operator, regional):
        login(client, user)
        assert client.post(invoice_url(invoice, "accept")).status_code == 403
        assert client.post(invoice_url(invoice, "reject"), {"reason": "нет"}).status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.SUBMITTED


def test_payer_of_another_municipality_gets_404(client, make_user, region, invoice, payer):
    inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    stranger = make_user("payer", municipality=inta)
    login(client, stranger)
    assert client.get(invoice_url(invoice)).status_code == 404
    assert client.post(invoice_url(invoice, "accept")).status_code == 404
    assert (
        client.post(
            invoice_url(invoice, "pay"),
            {"order_number": "1", "paid_on": "2026-11-02", "amount": "1,00"},
        ).status_code
        == 404
    )
    assert client.get(OVERVIEW, {"municipality": "vorkuta"}).status_code == 404
    # Their own municipality's overview is empty of Vorkuta's documents.
    html = text(client.get(OVERVIEW, {"month": "2026-10"}))
    assert f"Счёт № {invoice.pk}" not in html
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.SUBMITTED


def test_provider_staff_cannot_accept_or_pay(client, invoice, staff, payer):
    login(client, staff)
    assert client.get(OVERVIEW).status_code == 403
    assert client.get(invoice_url(invoice)).status_code == 403
    assert client.post(invoice_url(invoice, "accept")).status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.SUBMITTED
    accepted(invoice, payer)
    response = client.post(
        invoice_url(invoice, "pay"),
        {"order_number": "7", "paid_on": "2026-11-02", "amount": "2 000,00"},
    )
    assert response.status_code == 403
    assert not Payment.objects.exists() and pay_transfers() == 0


def test_parents_are_refused(client, vorkuta, operator, group, invoice):
    fam, _ = signed_contract(vorkuta, operator, group, last_name="Сидорова")
    login(client, fam.parent)
    for url in (OVERVIEW, invoice_url(invoice), PAYMENTS, RECONCILIATION, PERIODS, RUN):
        assert client.get(url).status_code == 403, url
    assert client.post(invoice_url(invoice, "accept")).status_code == 403


def test_anonymous_goes_to_login(client, invoice):
    response = client.get(invoice_url(invoice))
    assert response.status_code == 302 and "login" in response["Location"]


# ----------------------------------------------------------------------- the overview


def test_overview_puts_waiting_documents_first_with_totals(
    client, vorkuta, operator, period, payer, invoice
):
    other_group = ready_group(vorkuta)
    other = other_group.module.program.provider
    signed_contract(vorkuta, operator, other_group, last_name="Орлова")
    other_staff = staff_of(other)
    done = services.build_invoice(actor=other_staff, provider=other, month=OCT)
    done = services.submit_invoice(actor=other_staff, invoice=done)
    done = accepted(done, payer)
    services.record_payment(
        actor=payer, document=done, order_number="11", paid_on=INVOICE_DAY, amount_kopecks=50_000
    )
    login(client, payer)
    html = text(client.get(OVERVIEW, {"month": "2026-10"}))
    waiting, decided = html.index(f"invoice-{invoice.pk}"), html.index(f"invoice-{done.pk}")
    assert waiting < decided
    totals = html[html.index('data-testid="totals"') :]
    assert re.search(r'total-waiting">1<', totals)
    assert f'total-accepted">{rub(MONTH)}<' in totals
    assert f'total-paid">{rub(50_000)}<' in totals
    assert f'total-outstanding">{rub(150_000)}<' in totals
    # Filters: status, kind, provider.
    html = text(client.get(OVERVIEW, {"month": "2026-10", "status": "accepted"}))
    assert f"invoice-{done.pk}" in html and f"invoice-{invoice.pk}" not in html
    html = text(client.get(OVERVIEW, {"month": "2026-10", "kind": "advance"}))
    assert f"invoice-{done.pk}" not in html and "Документов за октябрь 2026 нет" in html
    html = text(client.get(OVERVIEW, {"month": "2026-10", "provider": other.pk}))
    assert f"invoice-{done.pk}" in html and f"invoice-{invoice.pk}" not in html
    # Another month points back to the one still waiting.
    html = text(client.get(OVERVIEW, {"month": "2026-11"}))
    assert f"invoice-{invoice.pk}" not in html
    assert "октябрь 2026 — 1" in html


def test_overview_answers_htmx_with_the_results_only(client, payer, invoice):
    login(client, payer)
    response = client.get(OVERVIEW, {"month": "2026-10"}, HTTP_HX_REQUEST="true")
    html = text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results" ') and "<html" not in html
    assert "data-announce=" in html and "data-results-heading" in html
    assert f"invoice-{invoice.pk}" in html
    assert "HX-Request" in response["Vary"]


def test_overview_bad_month_is_a_field_error(client, payer, invoice):
    login(client, payer)
    html = text(client.get(OVERVIEW, {"month": "октябрь"}))
    assert "Месяц в формате ГГГГ-ММ." in html
    assert f"invoice-{invoice.pk}" not in html


# --------------------------------------------------------------------- the decisions


def test_accept_then_accept_again_shows_the_clear_message(client, payer, invoice):
    login(client, payer)
    response = client.post(invoice_url(invoice, "accept"), follow=True)
    html = text(response)
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.ACCEPTED
    assert f"Счёт № {invoice.pk} принят: к перечислению {rub(MONTH)}" in html
    charges = Transfer.objects.filter(kind=Transfer.Kind.CHARGE).count()
    again = text(client.post(invoice_url(invoice, "accept"), follow=True))
    assert "Документ уже принят" in again
    assert Transfer.objects.filter(kind=Transfer.Kind.CHARGE).count() == charges


def test_reject_without_a_reason_shows_the_field_error_and_changes_nothing(client, payer, invoice):
    login(client, payer)
    response = client.post(invoice_url(invoice, "reject"), {"reason": "   "})
    assert response.status_code == 200
    html = text(response)
    assert "Укажите причину отклонения." in field_errors(html, "reason")
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.SUBMITTED and invoice.reject_reason == ""


def test_reject_with_a_reason(client, payer, invoice):
    login(client, payer)
    response = client.post(
        invoice_url(invoice, "reject"), {"reason": "Неверный договор в строке 3"}, follow=True
    )
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.REJECTED
    assert invoice.reject_reason == "Неверный договор в строке 3"
    html = text(response)
    assert "отклонен" in html and "Неверный договор в строке 3" in html


def test_advance_request_is_decided_on_its_own_page(client, payer, contract, provider, staff):
    with clock.frozen(dt.date(2026, 10, 5)):
        advance = services.build_advance(actor=staff, provider=provider, month=OCT)
        advance = services.submit_advance(actor=staff, advance=advance)
        login(client, payer)
        url = reverse("billing:official_advance", args=[advance.pk])
        html = text(client.get(url))
        assert "Заявка на аванс" in html and rub(160_000) in html  # 80% of 2 000,00 ₽
        html = text(
            client.post(reverse("billing:payer_advance_accept", args=[advance.pk]), follow=True)
        )
        assert f"Заявка на аванс № {advance.pk} принята" in html
        response = client.post(
            reverse("billing:payer_advance_pay", args=[advance.pk]),
            {"order_number": "А-1", "paid_on": "05.10.2026", "amount": "1 600,00"},
        )
    assert response.status_code == 302
    advance.refresh_from_db()
    assert advance.status == DocumentStatus.ACCEPTED and advance.paid_kopecks == 160_000


# ------------------------------------------------------------------------ payments


def test_payment_in_roubles_with_kopecks(client, payer, invoice):
    accepted(invoice, payer)
    login(client, payer)
    page = text(client.get(invoice_url(invoice)))
    assert 'value="2 000,00"' in page  # the outstanding is offered
    response = client.post(
        invoice_url(invoice, "pay"),
        {"order_number": " 345 ", "paid_on": "2026-11-02", "amount": "1 234,56"},
        follow=True,
    )
    html = text(response)
    payment = Payment.objects.get()
    assert payment.amount_kopecks == 123_456 and payment.order_number == "345"
    assert payment.invoice_id == invoice.pk and payment.transfer_id is not None
    invoice.refresh_from_db()
    assert invoice.paid_kopecks == 123_456
    assert f"Осталось оплатить {rub(MONTH - 123_456)}" in html


def test_payment_above_the_outstanding_is_refused_and_posts_nothing(client, payer, invoice):
    accepted(invoice, payer)
    login(client, payer)
    transfers = Transfer.objects.count()
    response = client.post(
        invoice_url(invoice, "pay"),
        {"order_number": "12", "paid_on": "2026-11-02", "amount": "2 000,01"},
    )
    assert response.status_code == 200
    html = text(response)
    assert f"Осталось оплатить {rub(MONTH)}" in field_errors(html, "amount")
    assert "больше задолженности" in html
    assert not Payment.objects.exists()
    assert pay_transfers() == 0 and Transfer.objects.count() == transfers
    invoice.refresh_from_db()
    assert invoice.paid_kopecks == 0


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("12,345", "Не больше двух знаков после запятой (копейки)."),
        ("abc", "Введите сумму в рублях, например 24 171,00."),
        ("0", "Сумма платежа должна быть больше нуля."),
        ("", "Укажите сумму платежа."),
    ],
)
def test_payment_amount_typos_are_field_errors(client, payer, invoice, amount, error):
    accepted(invoice, payer)
    login(client, payer)
    html = text(
        client.post(
            invoice_url(invoice, "pay"),
            {"order_number": "12", "paid_on": "2026-11-02", "amount": amount},
        )
    )
    assert error in field_errors(html, "amount")
    assert not Payment.objects.exists()


def test_payment_in_the_future_and_twice_the_same_order(client, payer, invoice):
    accepted(invoice, payer)
    login(client, payer)
    html = text(
        client.post(
            invoice_url(invoice, "pay"),
            {"order_number": "12", "paid_on": "2026-11-03", "amount": "10,00"},
        )
    )
    assert "Дата платежа не может быть в будущем." in field_errors(html, "paid_on")
    ok = {"order_number": "12", "paid_on": "2026-11-02", "amount": "10,00"}
    assert client.post(invoice_url(invoice, "pay"), ok).status_code == 302
    html = text(client.post(invoice_url(invoice, "pay"), ok))
    assert "Платёжное поручение с таким номером и датой уже записано." in field_errors(
        html, "order_number"
    )
    assert Payment.objects.count() == 1


def test_payments_list_filters_by_dates_and_provider(client, vorkuta, operator, payer, invoice):
    invoice = accepted(invoice, payer)
    early = services.record_payment(
        actor=payer,
        document=invoice,
        order_number="П-101",
        paid_on=dt.date(2026, 11, 1),
        amount_kopecks=30_000,
    )
    late = services.record_payment(
        actor=payer,
        document=invoice,
        order_number="П-202",
        paid_on=INVOICE_DAY,
        amount_kopecks=20_000,
    )
    other_group = ready_group(vorkuta)
    other = other_group.module.program.provider
    signed_contract(vorkuta, operator, other_group, last_name="Орлова")
    other_staff = staff_of(other)
    theirs = services.build_invoice(actor=other_staff, provider=other, month=OCT)
    theirs = accepted(services.submit_invoice(actor=other_staff, invoice=theirs), payer)
    foreign = services.record_payment(
        actor=payer, document=theirs, order_number="П-303", paid_on=INVOICE_DAY, amount_kopecks=7
    )
    login(client, payer)
    html = text(client.get(PAYMENTS))
    for payment in (early, late, foreign):
        assert f"payment-{payment.pk}" in html
    assert f'total-amount">{rub(50_007)}<' in html
    html = text(client.get(PAYMENTS, {"date_from": "2026-11-02"}))
    assert f"payment-{late.pk}" in html and f"payment-{foreign.pk}" in html
    assert f"payment-{early.pk}" not in html
    assert f'total-amount">{rub(20_007)}<' in html
    assert "date_from=2026-11-02" in html  # the export links keep the filter
    html = text(client.get(PAYMENTS, {"date_to": "2026-11-01", "provider": invoice.provider_id}))
    assert f"payment-{early.pk}" in html
    assert f"payment-{late.pk}" not in html and f"payment-{foreign.pk}" not in html
    html = text(client.get(PAYMENTS, {"provider": other.pk}))
    assert f"payment-{foreign.pk}" in html and f"payment-{early.pk}" not in html
    html = text(client.get(PAYMENTS, {"date_from": "2026-11-02", "date_to": "2026-11-01"}))
    assert "Конец периода раньше начала." in html and 'total-count">0<' in html


# ------------------------------------------------------------------------ month run


def test_run_builds_the_month_once_as_a_job(
    client, payer, contract, provider, django_capture_on_commit_callbacks
):
    login(client, payer)
    page = text(client.get(RUN))
    assert 'value="2026-10"' in page  # the month just ended is offered
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RUN, {"month": "2026-10"})
    job = Job.objects.get(kind="billing.month_run")
    assert response.status_code == 302 and response.url == f"/cabinet/jobs/{job.pk}/"
    assert (job.key, job.municipality.code, job.created_by) == ("vorkuta:2026-10", "vorkuta", payer)
    first = text(client.get(response.url))
    assert "Документы за октябрь 2026 сформированы." in first
    assert "Сформировано счетов: 1<" in first and "Уже были сформированы раньше: 0<" in first
    assert "Поставщиков с договорами: 1<" in first and "Отказано: 0<" in first
    assert f'href="{RUN}?municipality=vorkuta"' in first  # back to the run page
    invoice = Invoice.objects.get(provider=provider, month=OCT)
    assert invoice.status == DocumentStatus.DRAFT and invoice.billed_kopecks == MONTH
    # Again, from htmx: the browser is sent to the new job's page.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(RUN, {"month": "2026-10"}, HTTP_HX_REQUEST="true")
    second = Job.objects.exclude(pk=job.pk).get()
    assert again["HX-Redirect"] == f"/cabinet/jobs/{second.pk}/"
    html = text(client.get(again["HX-Redirect"]))
    assert "Сформировано счетов: 0<" in html and "Уже были сформированы раньше: 1<" in html
    assert Invoice.objects.count() == 1 and AdvanceRequest.objects.count() == 0


def test_a_second_start_while_the_run_waits_joins_it(
    client, make_user, vorkuta, payer, contract, django_capture_on_commit_callbacks
):
    other = make_user("payer", municipality=vorkuta)
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        first = login(client, payer).post(RUN, {"month": "2026-10"})
        second = login(client, other).post(RUN, {"month": "2026-10"})
    assert first.url == second.url and Job.objects.count() == 1
    # The second payer follows the job the first one started.
    assert "В очереди" in text(client.get(second.url))
    for callback in waiting:
        callback()
    assert Invoice.objects.count() == 1
    assert "Сформировано счетов: 1<" in text(client.get(second.url))


def test_the_job_page_shows_the_progress_while_the_run_goes_on(
    client, vorkuta, operator, payer, contract, monkeypatch, django_capture_on_commit_callbacks
):
    signed_contract(vorkuta, operator, ready_group(vorkuta))  # a second provider
    login(client, payer)
    real_build, pages = services.invoices.build_invoice, []

    def build(*, actor, provider, month):  # the job page, read in the middle of the run
        job = Job.objects.get()
        pages.append(text(client.get(f"/cabinet/jobs/{job.pk}/", HTTP_HX_REQUEST="true")))
        return real_build(actor=actor, provider=provider, month=month)

    monkeypatch.setattr(services.invoices, "build_invoice", build)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RUN, {"month": "2026-10"})
    assert len(pages) == 2
    assert 'data-status="running"' in pages[0] and "Выполняется." in pages[0]
    assert "Выполняется: 1 из 2 (50 %)." in pages[1] and 'hx-trigger="every 1s"' in pages[1]
    done = text(client.get(response.url))
    assert 'data-status="done"' in done and "Сформировано счетов: 2<" in done
    assert 'hx-trigger="every 1s"' not in done


def test_run_refuses_a_month_not_open_yet(client, payer, contract):
    login(client, payer)
    html = text(client.post(RUN, {"month": "2026-12"}))
    assert "формируются с" in html  # at once, on the form: no job started
    html = text(client.post(RUN, {"month": "12.2026"}))
    assert "Месяц в формате ГГГГ-ММ." in html
    html = text(client.post(RUN, {"month": "2025-10"}, HTTP_HX_REQUEST="true"))
    assert html.lstrip().startswith('<div id="run-block" ')
    assert "На октябрь 2025 нет программы" in html
    assert not Invoice.objects.exists() and not AdvanceRequest.objects.exists()
    assert not Job.objects.exists()


# ------------------------------------------------------------------- reconciliation


def test_reconciliation_is_ok_after_accept_and_pay(client, payer, operator, invoice):
    login(client, operator)
    before = text(client.get(RECONCILIATION, {"month": "2026-10"}))
    assert "Принятых счетов за октябрь 2026 нет." in before
    invoice = accepted(invoice, payer)
    services.record_payment(
        actor=payer, document=invoice, order_number="9", paid_on=INVOICE_DAY, amount_kopecks=MONTH
    )
    html = text(client.get(RECONCILIATION, {"month": "2026-10"}))
    assert "Сверка сходится" in html
    assert "расхождение" not in html
    assert f'provider-{invoice.provider_id}"' in html
    assert 'data-testid="unbilled">0<' in html
    assert html.count(rub(MONTH)) >= 3  # charged = lines = paid
    assert verify_ledger() == []


def test_reconciliation_shows_a_mismatch(client, payer, invoice):
    invoice = accepted(invoice, payer)
    # A paid figure with no payment behind it (as a broken import would leave it).
    Invoice.objects.filter(pk=invoice.pk).update(paid_kopecks=1_000)
    html = text(login(client, payer).get(RECONCILIATION, {"month": "2026-10"}))
    assert "Сверка не сходится" in html
    check = html[html.index('data-testid="check-4"') :]
    assert "расхождение" in check[: check.index("</tr>")]
    assert rub(1_000) in check[: check.index("</tr>")]


# ---------------------------------------------------------------------- period close


def test_period_close_is_refused_before_the_end_and_works_after(
    client, vorkuta, operator, payer, period, contract, django_capture_on_commit_callbacks
):
    following = FinancingPeriodFactory(
        municipality=vorkuta,
        name="ПФДО 2027/28",
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
        status=FinancingPeriod.Status.APPROVED,
    )
    NominalCategoryFactory(period=following)
    close = reverse("billing:official_period_close", args=[period.pk])
    login(client, operator)
    page = text(client.get(PERIODS))
    # The page says the close's own refusal, word for word.
    assert 'data-testid="close"' not in page
    assert "Период можно закрыть после его окончания (31.08.2027)." in page
    refused = text(client.post(close, follow=True))
    assert "Период можно закрыть после его окончания (31.08.2027)." in refused
    assert not PeriodClosing.objects.exists()
    # The payer reads the page but does not close.
    login(client, payer)
    with clock.frozen(dt.date(2027, 9, 2)):
        assert client.post(close).status_code == 403
        login(client, operator)
        page = text(client.get(PERIODS))
        assert 'data-testid="close"' in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(close)
        job = Job.objects.get(kind="billing.period_close")
        assert response.url == f"/cabinet/jobs/{job.pk}/"
        html = text(client.get(response.url))
        # Closed: a second close starts nothing and says so.
        again = text(client.post(close, follow=True))
    closing = PeriodClosing.objects.get(period=period)
    assert closing.finished_at is not None and closing.next_period == following
    period.refresh_from_db()
    assert period.status == FinancingPeriod.Status.CLOSED
    assert "Закрытие периода" in html and 'data-status="done"' in html
    assert f"Период «{period.name}» закрыт" in html
    assert f"Сгорело: {rub(closing.lapsed_kopecks)}<" in html
    assert closing.lapsed_kopecks > 0  # the unreserved rest of the nominal lapsed
    assert f"Договоров завершено: {closing.ended_contracts}<" in html
    assert f'href="{PERIODS}?municipality=vorkuta"' in html
    assert "Период уже закрыт." in again and Job.objects.count() == 1
    assert f'lapsed">{rub(closing.lapsed_kopecks)}<' in again  # the periods page
    assert verify_ledger() == []
