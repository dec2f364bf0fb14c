"""Issue 12 across the year in billing: a contract month that joins after its month's invoice
(supplementary invoice), December billed within December and corrected in January, the
family told of each charge, and the domain checks of verify_ledger and the reconciliation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pfdo.accounts.models import Notification
from pfdo.billing import checks, selectors, services
from pfdo.billing.models import DocumentStatus, Invoice
from pfdo.billing.services import family_notices
from pfdo.billing.tests.services_world import (
    DEC,
    MONTH,
    OCT,
    World,
    accepted_invoice,
    balance,
    d,
    lines_of,
)
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.common.money import format_kopecks
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import selectors as ledger_selectors
from pfdo.ledger.checks import domain_checks
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger

pytestmark = [pytest.mark.django_db]

JAN = dt.date(2027, 1, 1)


def accept(staff, payer, invoice, on):
    with clock.frozen(on):
        services.submit_invoice(actor=staff, invoice=invoice)
        return services.accept_invoice(actor=payer, invoice=invoice)


def notices_of(user, subject_start: str):
    return list(Notification.objects.filter(user=user, subject__startswith=subject_start))


# --------------------------------------------------------- 4. supplementary invoice


def test_year_04_late_contract_month_billed_on_supplementary_invoice(vorkuta, operator, payer):
    w = World(vorkuta, operator)  # December is invoiced within December
    december = accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(2, 12))
    assert set(lines_of(december)) == {w.a.pk}
    fam_b, b = w.sign(d(10, 12))  # accepted after December's invoice
    b_december = ContractMonth.objects.get(contract=b, month=DEC)
    assert ledger_selectors.unresolved_pending_ids([b_december.reservation_id])
    # The reservation would stay forever: the check (a) says so, and the close waits.
    problems = checks.stuck_reservations(municipality_id=vorkuta.pk)
    assert len(problems) == 1 and b.number in problems[0]
    with clock.frozen(dt.date(2027, 9, 1)):
        refusal = services.close_refusal(w.period)
    assert refusal is not None and refusal.code == "reservations_unbilled"

    with clock.frozen(d(11, 12)):
        extra = services.build_invoice(actor=w.staff, provider=w.provider, month=DEC)
    assert (extra.kind, extra.sequence, extra.status) == ("supplementary", 1, "draft")
    assert extra.title == "Дополнительный счёт № 1 за 12.2026"
    assert set(lines_of(extra)) == {b.pk}
    amount = b_december.certificate_kopecks
    # No advance and no carry of its own: due in full.
    assert (extra.billed_kopecks, extra.advance_kopecks, extra.carry_in_kopecks) == (amount, 0, 0)
    assert extra.due_kopecks == amount
    # The month's own invoice is untouched.
    december.refresh_from_db()
    assert (december.kind, december.sequence, december.billed_kopecks) == ("main", 0, MONTH)
    # Until decided, the supplementary invoice is in progress: nothing is stuck.
    assert checks.stuck_reservations(municipality_id=vorkuta.pk) == []

    extra = accept(w.staff, payer, extra, d(11, 12))
    assert extra.status == DocumentStatus.ACCEPTED
    assert not ledger_selectors.unresolved_pending_ids([b_december.reservation_id])
    assert balance(fam_b, w.period).spent_kopecks == amount
    assert checks.stuck_reservations(municipality_id=vorkuta.pk) == []
    with clock.frozen(dt.date(2027, 9, 1)):
        refusal = services.close_refusal(w.period)
    assert refusal is None or refusal.code != "reservations_unbilled"
    # Nothing more to bill for December: the old refusal stays.
    with clock.frozen(d(12, 12)), pytest.raises(Conflict) as exc:
        services.build_invoice(actor=w.staff, provider=w.provider, month=DEC)
    assert exc.value.code == "invoice_exists"
    assert verify_ledger() == []


def test_month_run_builds_the_supplementary_invoice(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(2, 12))
    _, b = w.sign(d(10, 12))
    with clock.frozen(d(14, 12)):
        result = services.bill_month(actor=payer, municipality=vorkuta, month=DEC)
        again = services.bill_month(actor=payer, municipality=vorkuta, month=DEC)
    assert (result.supplementary_built, result.lines, result.refused) == (1, 1, [])
    assert again.supplementary_built == 0  # the open one is left as it is
    extra = Invoice.objects.get(provider=w.provider, month=DEC, kind="supplementary")
    assert set(lines_of(extra)) == {b.pk}


def test_one_open_supplementary_invoice_at_a_time(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(2, 12))
    w.sign(d(10, 12))
    with clock.frozen(d(11, 12)):
        first = services.build_invoice(actor=w.staff, provider=w.provider, month=DEC)
        services.submit_invoice(actor=w.staff, invoice=first)
    _, c = w.sign(d(14, 12))
    with clock.frozen(d(15, 12)), pytest.raises(Conflict) as exc:
        services.build_invoice(actor=w.staff, provider=w.provider, month=DEC)
    assert exc.value.code == "supplementary_submitted"
    with clock.frozen(d(15, 12)):
        services.accept_invoice(actor=payer, invoice=first)
    with clock.frozen(d(16, 12)):
        second = services.build_invoice(actor=w.staff, provider=w.provider, month=DEC)
    assert (second.sequence, set(lines_of(second))) == (2, {c.pk})


# ------------------------------------------------------- 5. December corrected in January


def test_year_05_december_corrected_in_january(vorkuta, operator, payer):
    w = World(vorkuta, operator, boundary_month_rule="pro_rata_days")
    _, c = w.sign(d(1, 9))  # stays all year: January has an invoice to take the return
    december = accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(3, 12))
    assert lines_of(december)[w.a.pk].billed_kopecks == MONTH
    with clock.frozen(d(10, 12)):
        enrolment.terminate(actor=w.fam_a.parent, contract=w.a)
    spent_before = balance(w.fam_a, w.period)
    assert spent_before.spent_kopecks == MONTH  # December charged in full, as billed ahead

    with clock.frozen(d(31, 12)), pytest.raises(Conflict) as exc:
        services.build_correction(actor=w.staff, provider=w.provider, month=DEC)
    assert exc.value.code == "month_not_ended"
    with clock.frozen(dt.date(2027, 1, 11)):
        correction = services.build_correction(actor=w.staff, provider=w.provider, month=DEC)
    assert (correction.kind, correction.sequence) == ("correction", 1)
    line = lines_of(correction)[w.a.pk]
    # 1–10 December = 10 of 31 days: 200 000 × 10 // 31 = 64 516 kopecks (645,16 ₽).
    assert (line.planned_kopecks, line.billed_kopecks) == (MONTH, 64_516)
    assert line.basis_note == "пересчёт: 10 из 31 дн."
    assert c.pk not in lines_of(correction)  # C's December holds
    assert (correction.due_kopecks, correction.carry_out_kopecks) == (0, MONTH - 64_516)

    correction = accept(w.staff, payer, correction, dt.date(2027, 1, 12))
    after = balance(w.fam_a, w.period)
    assert after.spent_kopecks == 64_516
    assert after.available_kopecks == spent_before.available_kopecks + MONTH - 64_516
    returned = Transfer.objects.get(key=f"correct:{line.reservation_id}")
    assert (returned.kind, returned.amount_kopecks) == ("adjust", MONTH - 64_516)
    # The family's statement shows the return.
    account = Account.objects.get(pk=returned.credit_account_id)
    statement = list(ledger_selectors.movements(account).filter(kind="adjust"))
    assert [(m.effect_kopecks, m.movement) for m in statement] == [(MONTH - 64_516, "зачислено")]
    [notice] = notices_of(w.fam_a.parent, "Возврат на сертификат за декабрь 2026")
    assert format_kopecks(135_484) in notice.body and format_kopecks(64_516) in notice.body
    # Re-runs create nothing: nothing left to correct, no second return.
    with clock.frozen(dt.date(2027, 1, 13)):
        result = services.bill_month(actor=payer, municipality=vorkuta, month=DEC)
        with pytest.raises(Conflict) as exc:
            services.build_correction(actor=w.staff, provider=w.provider, month=DEC)
    assert result.corrections_built == 0 and exc.value.code == "nothing_to_correct"
    assert Transfer.objects.filter(kind="adjust").count() == 1
    [charge] = [c for c in selectors.contract_charges(w.a) if c.month == DEC]
    assert charge.billed_kopecks == 64_516 and "возвращено на сертификат" in charge.note

    # January's invoice takes the return like an overpayment.
    january = accepted_invoice(w.staff, payer, w.provider, month=JAN, on=dt.date(2027, 2, 1))
    assert january.billed_kopecks == MONTH  # C only
    assert (january.carry_from_id, january.carry_in_kopecks) == (correction.pk, MONTH - 64_516)
    assert (january.offset_kopecks, january.due_kopecks) == (MONTH - 64_516, 64_516)
    assert verify_ledger() == []
    report = selectors.reconciliation(vorkuta, DEC)
    assert report.ok, (report.checks, report.domain_problems)
    assert selectors.reconciliation(vorkuta, JAN).ok


def test_december_billed_ahead_keeps_its_journal_until_the_correction(vorkuta, operator, payer):
    w = World(vorkuta, operator, billing_basis="attended_hours")
    lessons = {x.held_on: x for x in services.ensure_lessons(group=w.group, month=DEC)}
    december = accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(2, 12))
    # Nothing marked yet: the four Tuesdays ahead count as planned, 360 of 450 minutes.
    assert december.billed_kopecks == MONTH * 360 // 450
    # The month is still running: its journal stays open after the invoice is accepted.
    for day, present in ((8, True), (15, True), (22, False), (29, True)):
        with clock.frozen(d(day, 12)):
            services.mark_attendance(
                actor=w.staff, lesson=lessons[d(day, 12)], marks={w.a.pk: present}
            )
    with clock.frozen(JAN + dt.timedelta(days=10)):
        correction = services.build_correction(actor=w.staff, provider=w.provider, month=DEC)
        # Attended 8, 15 and 29 December: 270 of 450 minutes.
        assert lines_of(correction)[w.a.pk].billed_kopecks == MONTH * 270 // 450
        services.submit_invoice(actor=w.staff, invoice=correction)
        with pytest.raises(Conflict) as exc:
            services.mark_attendance(actor=w.staff, lesson=lessons[d(22, 12)], marks={w.a.pk: True})
    assert exc.value.code == "month_invoiced"


def test_month_run_builds_the_correction_once_december_is_over(vorkuta, operator, payer):
    w = World(vorkuta, operator, boundary_month_rule="pro_rata_days")
    accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(3, 12))
    with clock.frozen(d(21, 12)):
        enrolment.terminate(actor=w.fam_a.parent, contract=w.a)
    with clock.frozen(dt.date(2027, 1, 11)):
        result = services.bill_month(actor=payer, municipality=vorkuta, month=DEC)
    assert (result.corrections_built, result.refused) == (1, [])
    correction = Invoice.objects.get(provider=w.provider, month=DEC, kind="correction")
    assert correction.billed_kopecks == MONTH * 21 // 31


def test_a_month_billed_after_it_ended_is_never_corrected(vorkuta, operator, payer):
    w = World(vorkuta, operator, boundary_month_rule="pro_rata_days")
    accepted_invoice(w.staff, payer, w.provider)  # October, billed in November
    with clock.frozen(d(10, 11)):
        enrolment.terminate(actor=w.fam_a.parent, contract=w.a)
    with clock.frozen(d(12, 11)), pytest.raises(Conflict) as exc:
        services.build_correction(actor=w.staff, provider=w.provider, month=OCT)
    assert exc.value.code == "nothing_to_correct"


# ------------------------------------------------------------ 17. the family hears of it


def test_year_17_family_notified_of_each_charge(
    vorkuta, operator, payer, django_capture_on_commit_callbacks
):
    w = World(vorkuta, operator)
    w.fam_a.parent.email = "a@example.org"
    w.fam_a.parent.save(update_fields=["email"])
    fam_c, _ = w.sign(d(1, 9))
    with django_capture_on_commit_callbacks(execute=True):
        accepted_invoice(w.staff, payer, w.provider)
    [notice] = notices_of(w.fam_a.parent, "Списание с сертификата за октябрь 2026")
    assert f"договору № {w.a.number}" in notice.body
    assert format_kopecks(MONTH) in notice.body and "(полный месяц)" in notice.body
    assert notice.link == reverse("enrolment:parent_contract", args=[w.a.pk])
    assert len(notices_of(fam_c.parent, "Списание с сертификата за октябрь 2026")) == 1
    [sent] = [m for m in mail.outbox if m.to == ["a@example.org"]]
    assert sent.subject == notice.subject and notice.link in sent.body


def test_family_notices_are_written_in_bulk(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    for _ in range(3):
        w.sign(d(1, 9))
    invoice = accepted_invoice(w.staff, payer, w.provider)
    before = Notification.objects.count()
    with CaptureQueriesContext(connection) as queries:
        assert family_notices.tell_families(invoice) == 4
    # One read of the lines, one insert for all rows: not a query per family.
    assert len(queries) <= 3
    assert Notification.objects.count() == before + 4


# ----------------------------------------------------------------- the domain checks


def test_checks_are_registered_with_verify_ledger():
    assert set(checks.ALL.values()) <= set(domain_checks.handlers)


def test_charges_out_of_term_fire_on_broken_data_only(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    accepted_invoice(w.staff, payer, w.provider)  # October
    assert checks.charges_out_of_term(municipality_id=vorkuta.pk) == []
    # The certificate "was cancelled" on 15 September: October's charge is after its end.
    Certificate.objects.filter(pk=w.fam_a.certificate.pk).update(
        status=Certificate.Status.CANCELLED,
        status_changed_at=dt.datetime(2026, 9, 15, 12, tzinfo=dt.UTC),
    )
    [problem] = checks.charges_out_of_term(municipality_id=vorkuta.pk)
    assert w.a.number in problem and "октябрь 2026" in problem
    Certificate.objects.filter(pk=w.fam_a.certificate.pk).update(
        status=Certificate.Status.ACTIVE, status_changed_at=None
    )
    assert checks.charges_out_of_term(municipality_id=vorkuta.pk) == []
    # The contract "was accepted" on 5 November: October was charged before it existed.
    Contract.objects.filter(pk=w.a.pk).update(
        accepted_at=dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC)
    )
    assert len(checks.charges_out_of_term(municipality_id=vorkuta.pk)) == 1
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=_Sink())
    report = selectors.reconciliation(vorkuta, OCT)
    assert not report.ok and report.domain_problems


def test_quota_check_fires_when_more_are_funded_than_the_quota(vorkuta, operator):
    w = World(vorkuta, operator)
    w.sign(d(1, 9))
    assert checks.quota_exceeded(municipality_id=vorkuta.pk) == []
    FinancingPeriod.objects.filter(pk=w.period.pk).update(certificate_quota=1)
    [problem] = checks.quota_exceeded(municipality_id=vorkuta.pk)
    assert "2" in problem and "квота 1" in problem
    # A certificate that ended freed its place.
    Certificate.objects.filter(pk=w.fam_a.certificate.pk).update(status=Certificate.Status.EXPIRED)
    assert checks.quota_exceeded(municipality_id=vorkuta.pk) == []


def test_verify_ledger_command_reports_a_stuck_reservation(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    out = _Sink()
    call_command("verify_ledger", stdout=out)
    assert "Расхождений нет" in out.text
    accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(2, 12))
    _, b = w.sign(d(10, 12))
    out = _Sink()
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=out)
    assert b.number in out.text and "дополнительный счёт" in out.text


class _Sink:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


# ---------------------------------------------------------------------- pages and API

INVOICES = "/api/v1/invoices/"


def test_api_builds_supplementary_invoice_and_correction(vorkuta, operator, payer, api_client):
    w = World(vorkuta, operator, boundary_month_rule="pro_rata_days")
    accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(2, 12))
    w.sign(d(10, 12))
    api_client.force_authenticate(w.staff)
    body = {"provider": w.provider.pk, "month": "2026-12"}
    with clock.frozen(d(11, 12)):
        built = api_client.post(INVOICES, body, format="json")
    assert built.status_code == 201, built.content
    data = built.json()
    assert (data["kind"], data["sequence"], data["title"]) == (
        "supplementary",
        1,
        "Дополнительный счёт № 1 за 12.2026",
    )
    with clock.frozen(d(11, 12)):
        early = api_client.post(f"{INVOICES}correction/", body, format="json")
    assert early.status_code == 409 and early.json()["error"]["code"] == "month_not_ended"
    with clock.frozen(d(20, 12)):
        enrolment.terminate(actor=w.fam_a.parent, contract=w.a)
    with clock.frozen(dt.date(2027, 1, 11)):
        fix = api_client.post(f"{INVOICES}correction/", body, format="json")
    assert fix.status_code == 201, fix.content
    assert fix.json()["kind"] == "correction"
    assert fix.json()["carry_out_kopecks"] == MONTH - MONTH * 20 // 31


def test_provider_pages_show_and_build_the_new_documents(vorkuta, operator, payer, client):
    w = World(vorkuta, operator, boundary_month_rule="pro_rata_days")
    december = accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(2, 12))
    w.sign(d(10, 12))
    client.force_login(w.staff)
    page = reverse("billing:provider_invoice", args=[december.pk])
    with clock.frozen(d(11, 12)):
        shown = client.get(page)
        assert 'data-testid="build-supplementary"' in shown.content.decode()
        built = client.post(
            reverse("billing:provider_invoice_build"),
            {"provider": w.provider.pk, "month": "2026-12"},
        )
    extra = Invoice.objects.get(provider=w.provider, month=DEC, kind="supplementary")
    assert built.status_code == 302 and built.url == reverse(
        "billing:provider_invoice", args=[extra.pk]
    )
    with clock.frozen(d(11, 12)):
        text = client.get(built.url).content.decode()
    assert "Дополнительный счёт № 1 за декабрь 2026" in text
    with clock.frozen(d(20, 12)):
        enrolment.terminate(actor=w.fam_a.parent, contract=w.a)
    with clock.frozen(dt.date(2027, 1, 11)):
        assert 'data-testid="build-correction"' in client.get(page).content.decode()
        made = client.post(
            reverse("billing:provider_correction_build"),
            {"provider": w.provider.pk, "month": "2026-12"},
        )
        fix = Invoice.objects.get(provider=w.provider, month=DEC, kind="correction")
        assert made.status_code == 302 and made.url == reverse(
            "billing:provider_invoice", args=[fix.pk]
        )
        text = client.get(made.url).content.decode()
        assert "Корректировка № 2 за декабрь 2026" in text
        rebuilt = client.post(reverse("billing:provider_invoice_rebuild", args=[fix.pk]))
        assert rebuilt.status_code == 302
        listing = client.get(reverse("billing:provider_invoices")).content.decode()
    assert "корректировка № 2" in listing and "дополнительный счёт № 1" in listing
    # Nothing to correct twice: the refusal is shown, nothing is built.
    with clock.frozen(dt.date(2027, 1, 11)):
        services.submit_invoice(actor=w.staff, invoice=fix)
        again = client.post(
            reverse("billing:provider_correction_build"),
            {"provider": w.provider.pk, "month": "2026-12"},
            follow=True,
        )
    assert "ждёт решения плательщика" in again.content.decode()
