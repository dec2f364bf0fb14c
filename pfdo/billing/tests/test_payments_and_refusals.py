"""Billing services on real contracts: payments, and the bad input of the issue (each refused
with nothing written)."""

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.billing import selectors, services
from pfdo.billing.models import (
    DocumentStatus,
    Lesson,
)
from pfdo.billing.tests.factories import ready_group, signed_contract, staff_of
from pfdo.billing.tests.services_world import (
    INVOICE_DAY,
    MONTH,
    NOV,
    OCT,
    World,
    accepted_advance,
    accepted_invoice,
    balance,
    d,
    snapshot,
)
from pfdo.common import clock
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import verify_ledger

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- payments


@pytest.fixture
def owed_invoice(vorkuta, operator, payer):
    """An accepted October invoice with 200 000 due (no advance)."""
    w = World(vorkuta, operator)
    return w, accepted_invoice(w.staff, payer, w.provider)


PAID_ON = dt.date(2026, 11, 3)


def pay(payer, document, amount, *, number="1", on=PAID_ON):
    with clock.frozen(d(5, 11)):
        return services.record_payment(
            actor=payer,
            document=document,
            order_number=number,
            paid_on=on,
            amount_kopecks=amount,
        )


def test_partial_then_full_payment(owed_invoice, payer):
    w, invoice = owed_invoice
    first = pay(payer, invoice, 50_000, number="17")
    invoice.refresh_from_db()
    # 200 000 due − 50 000 paid = 150 000 outstanding.
    assert (invoice.paid_kopecks, invoice.outstanding_kopecks) == (50_000, 150_000)
    row = Transfer.objects.get(pk=first.transfer_id)
    assert row.key == f"pay:y{first.pk}" and row.kind == Transfer.Kind.PAY
    assert row.debit_account.key == f"provider:p{w.period.pk}:h{w.provider.pk}"
    assert row.credit_account.key == f"paid:p{w.period.pk}:h{w.provider.pk}"
    assert row.description == "П/п № 17 от 03.11.2026 по счёту за октябрь 2026"
    pay(payer, invoice, 150_000, number="18")
    invoice.refresh_from_db()
    assert (invoice.paid_kopecks, invoice.outstanding_kopecks) == (MONTH, 0)
    rec = selectors.reconciliation(invoice.municipality, OCT)
    assert rec.ok and rec.providers[0].paid_kopecks == MONTH
    # Paid in full: any further payment is an overpayment.
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        pay(payer, invoice, 1, number="19")
    assert exc.value.code == "overpayment"
    assert snapshot() == before


def test_payment_over_the_outstanding_is_refused(owed_invoice, payer):
    _, invoice = owed_invoice
    pay(payer, invoice, 50_000, number="17")
    before = snapshot()
    # 150 000 outstanding; 150 001 is a kopeck too many.
    with pytest.raises(ValidationFailed) as exc:
        pay(payer, invoice, 150_001, number="18")
    assert exc.value.code == "overpayment"
    assert "amount_kopecks" in exc.value.fields
    assert snapshot() == before
    invoice.refresh_from_db()
    assert invoice.paid_kopecks == 50_000


def test_duplicate_order_number(owed_invoice, payer):
    _, invoice = owed_invoice
    pay(payer, invoice, 10_000, number="55", on=d(3, 11))
    before = snapshot()
    # The order is already recorded: another row refuses it, 409.
    with pytest.raises(Conflict) as exc:
        pay(payer, invoice, 10_000, number="55", on=d(3, 11))
    assert (exc.value.code, exc.value.status) == ("duplicate_order", 409)
    assert exc.value.fields == {
        "order_number": ["Платёжное поручение с таким номером и датой уже записано."]
    }
    assert snapshot() == before
    invoice.refresh_from_db()
    assert invoice.paid_kopecks == 10_000
    # The same number on another day is another payment order.
    pay(payer, invoice, 10_000, number="55", on=d(4, 11))
    invoice.refresh_from_db()
    assert invoice.paid_kopecks == 20_000


def test_payment_before_acceptance_and_in_the_future(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    with clock.frozen(INVOICE_DAY):
        invoice = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
        services.submit_invoice(actor=w.staff, invoice=invoice)
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        pay(payer, invoice, 10_000)
    assert exc.value.code == "not_accepted"
    assert snapshot() == before
    with clock.frozen(INVOICE_DAY):
        services.accept_invoice(actor=payer, invoice=invoice)
    before = snapshot()
    # The clock says 5 Nov; a payment dated 6 Nov has not happened yet.
    with pytest.raises(ValidationFailed) as exc:
        pay(payer, invoice, 10_000, on=d(6, 11))
    assert "paid_on" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        pay(payer, invoice, 0)
    assert "amount_kopecks" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        pay(payer, invoice, 10_000, number="  ")
    assert "order_number" in exc.value.fields
    # Only the payer records payments.
    with pytest.raises(AccessDenied):
        pay(w.staff, invoice, 10_000)
    assert snapshot() == before


def test_advance_payment_posts_advance_to_paid(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    advance = accepted_advance(w.staff, payer, w.provider)
    with clock.frozen(d(6)):
        payment = services.record_payment(
            actor=payer, document=advance, order_number="7", paid_on=d(6), amount_kopecks=100_000
        )
    row = Transfer.objects.get(pk=payment.transfer_id)
    assert row.debit_account.key == f"advance:p{w.period.pk}:h{w.provider.pk}"
    assert row.credit_account.key == f"paid:p{w.period.pk}:h{w.provider.pk}"
    advance.refresh_from_db()
    # 160 000 advance − 100 000 paid = 60 000 outstanding.
    assert advance.outstanding_kopecks == 60_000
    assert payment.advance_id == advance.pk and payment.invoice_id is None
    assert verify_ledger() == []


# ---------------------------------------------------------------------------- bad input


def test_attendance_for_a_child_not_in_the_group(vorkuta, operator):
    w = World(vorkuta, operator)
    # A child of another group of the same provider.
    other = ready_group(vorkuta, provider=w.provider, weekday=4)
    _, stranger = signed_contract(vorkuta, operator, other)
    lesson = services.ensure_lessons(group=w.group, month=OCT)[0]
    before = snapshot()
    with clock.frozen(d(28)), pytest.raises(ValidationFailed) as exc:
        services.mark_attendance(
            actor=w.staff, lesson=lesson, marks={w.a.pk: True, stranger.pk: True}
        )
    assert exc.value.code == "child_not_in_group"
    assert exc.value.fields["marks"] == [
        f"Этих договоров нет среди договоров группы на дату занятия: {stranger.pk}."
    ]
    # All or nothing: A's mark was not written either.
    assert snapshot() == before


def test_attendance_before_the_contract_started(vorkuta, operator):
    w = World(vorkuta, operator)
    _, b = w.sign(d(15))
    lessons = {x.held_on: x for x in services.ensure_lessons(group=w.group, month=OCT)}
    before = snapshot()
    # B's contract runs from 15 Oct: the lesson of the 13th was not B's.
    with clock.frozen(d(28)), pytest.raises(ValidationFailed) as exc:
        services.mark_attendance(actor=w.staff, lesson=lessons[d(13)], marks={b.pk: True})
    assert exc.value.code == "child_not_in_group"
    assert snapshot() == before


def test_attendance_for_a_future_lesson(vorkuta, operator):
    w = World(vorkuta, operator)
    lessons = {x.held_on: x for x in services.ensure_lessons(group=w.group, month=OCT)}
    before = snapshot()
    with clock.frozen(d(21)), pytest.raises(Conflict) as exc:
        services.mark_attendance(actor=w.staff, lesson=lessons[d(27)], marks={w.a.pk: True})
    assert exc.value.code == "future_lesson"
    assert snapshot() == before
    # The same day it is held, it may be marked.
    with clock.frozen(d(27)):
        assert services.mark_attendance(actor=w.staff, lesson=lessons[d(27)], marks={w.a.pk: True})


def test_attendance_on_a_cancelled_lesson_and_by_another_provider(vorkuta, operator):
    w = World(vorkuta, operator)
    lessons = {x.held_on: x for x in services.ensure_lessons(group=w.group, month=OCT)}
    services.cancel_lesson(actor=w.staff, lesson=lessons[d(6)])
    outsider = staff_of(ready_group(vorkuta).module.program.provider)
    before = snapshot()
    with clock.frozen(d(28)):
        with pytest.raises(Conflict) as exc:
            services.mark_attendance(actor=w.staff, lesson=lessons[d(6)], marks={w.a.pk: True})
        assert exc.value.code == "lesson_cancelled"
        with pytest.raises(AccessDenied):
            services.mark_attendance(actor=outsider, lesson=lessons[d(13)], marks={w.a.pk: True})
    assert snapshot() == before


def test_journal_is_closed_once_the_invoice_is_submitted(vorkuta, operator):
    w = World(vorkuta, operator)
    lessons = {x.held_on: x for x in services.ensure_lessons(group=w.group, month=OCT)}
    with clock.frozen(INVOICE_DAY):
        invoice = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
        services.submit_invoice(actor=w.staff, invoice=invoice)
        before = snapshot()
        with pytest.raises(Conflict) as exc:
            services.mark_attendance(actor=w.staff, lesson=lessons[d(6)], marks={w.a.pk: True})
        assert exc.value.code == "month_invoiced"
        with pytest.raises(Conflict):
            services.cancel_lesson(actor=w.staff, lesson=lessons[d(13)])
    assert snapshot() == before
    assert Lesson.objects.get(pk=lessons[d(13)].pk).status == Lesson.Status.PLANNED


def test_invoice_for_a_month_not_yet_ended(vorkuta, operator):
    w = World(vorkuta, operator)
    before = snapshot()
    with clock.frozen(d(31)), pytest.raises(Conflict) as exc:
        services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
    assert exc.value.code == "month_not_ended"
    assert "01.11.2026" in exc.value.message
    assert snapshot() == before


def test_accepting_an_invoice_twice(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    invoice = accepted_invoice(w.staff, payer, w.provider)
    before = snapshot()
    with clock.frozen(d(3, 11)), pytest.raises(Conflict) as exc:
        services.accept_invoice(actor=payer, invoice=invoice)
    assert exc.value.code == "already_accepted"
    with clock.frozen(d(3, 11)), pytest.raises(Conflict) as exc:
        services.reject_invoice(actor=payer, invoice=invoice, reason="передумали")
    assert exc.value.code == "already_accepted"
    assert snapshot() == before
    assert balance(w.fam_a, w.period).spent_kopecks == MONTH  # charged once


def test_a_provider_cannot_act_for_another_provider(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    outsider = staff_of(ready_group(vorkuta).module.program.provider)
    with clock.frozen(INVOICE_DAY):
        invoice = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
    before = snapshot()
    with clock.frozen(INVOICE_DAY):
        with pytest.raises(AccessDenied) as exc:
            services.submit_invoice(actor=outsider, invoice=invoice)
        assert w.provider.short_name in exc.value.message
        with pytest.raises(AccessDenied):
            services.build_invoice(actor=outsider, provider=w.provider, month=OCT)
        with pytest.raises(AccessDenied):
            services.build_advance(actor=outsider, provider=w.provider, month=NOV)
        # Staff do not decide their own documents.
        services.submit_invoice(actor=w.staff, invoice=invoice)
        mid = snapshot()
        with pytest.raises(AccessDenied):
            services.accept_invoice(actor=w.staff, invoice=invoice)
        assert snapshot() == mid
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.SUBMITTED
    assert before["transfers"] == mid["transfers"] == Transfer.objects.count()
    assert not Transfer.objects.filter(kind=Transfer.Kind.CHARGE).exists()
