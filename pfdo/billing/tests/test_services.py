"""Billing services on real contracts: each setting by hand, advances, December, carry-over
and what accepting an invoice posts."""

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.billing import selectors, services
from pfdo.billing.models import (
    AdvanceRequest,
    Attendance,
    DocumentStatus,
    Invoice,
)
from pfdo.billing.tests.factories import ready_group, signed_contract
from pfdo.billing.tests.services_world import (
    ADVANCE_DAY,
    DEC,
    INVOICE_DAY,
    MONTH,
    NOMINAL,
    NOV,
    OCT,
    World,
    accepted_advance,
    accepted_invoice,
    balance,
    d,
    lines_of,
    snapshot,
)
from pfdo.certificates import selectors as certificate_selectors
from pfdo.common import clock
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.enrolment import services as enrolment
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


# ------------------------------------------------------------------ each setting by hand


def test_full_month_invoice_minus_accepted_advance(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    advance = accepted_advance(w.staff, payer, w.provider)
    # 80 % of the October amount 200 000 = 160 000.
    assert (advance.base_kopecks, advance.amount_kopecks) == (MONTH, 160_000)
    assert advance.contracts_count == 1 and advance.status == DocumentStatus.ACCEPTED
    # Filed on Mon 5 Oct: paid within 5 working days → Mon 12 Oct.
    assert advance.pay_by == d(12)

    with clock.frozen(INVOICE_DAY):
        invoice = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
    line = lines_of(invoice)[w.a.pk]
    assert (line.planned_kopecks, line.billed_kopecks, line.basis_note) == (
        MONTH,
        MONTH,
        "полный месяц",
    )
    assert (line.active_from, line.active_to) == (d(1), d(31))
    # 200 000 billed − 160 000 advance = 40 000 due.
    assert invoice.billed_kopecks == MONTH
    assert invoice.advance_kopecks == 160_000
    assert (invoice.offset_kopecks, invoice.due_kopecks, invoice.carry_out_kopecks) == (
        160_000,
        40_000,
        0,
    )
    assert invoice.status == DocumentStatus.DRAFT
    # The advance is settled by the invoice, not withdrawn.
    advance.refresh_from_db()
    assert advance.status == DocumentStatus.ACCEPTED


def test_pro_rata_by_days(vorkuta, operator, payer):
    w = World(vorkuta, operator, boundary_month_rule="pro_rata_days")
    accepted_advance(w.staff, payer, w.provider)  # 160 000, before B exists
    fam_b, b = w.sign(d(15))
    # B: October–May = 8 of the group's 9 months: 1 800 000 × 8 // 9 = 1 600 000, 200 000 a month.
    assert b.certificate_kopecks == 1_600_000
    invoice = accepted_invoice(w.staff, payer, w.provider)
    lines = lines_of(invoice)
    assert lines[w.a.pk].billed_kopecks == MONTH
    # B: 15–31 Oct = 17 of 31 days: 200 000 × 17 // 31 = 109 677.
    assert lines[b.pk].billed_kopecks == 109_677
    assert lines[b.pk].basis_note == "17 из 31 дн."
    assert (lines[b.pk].active_from, lines[b.pk].active_to) == (d(15), d(31))
    # 200 000 + 109 677 = 309 677 billed; − 160 000 advance = 149 677 due.
    assert invoice.planned_kopecks == 400_000
    assert invoice.billed_kopecks == 309_677
    assert invoice.due_kopecks == 149_677
    # B's certificate: spent 109 677; the other 90 323 of October back to available;
    # November–May (7 × 200 000) still reserved.
    money = balance(fam_b, w.period)
    assert money.spent_kopecks == 109_677
    assert money.reserved_kopecks == 1_400_000
    assert money.available_kopecks == NOMINAL - 1_600_000 + 90_323 == 907_423
    assert verify_ledger() == []


def test_pro_rata_by_lessons_cancelled_and_moved(vorkuta, operator, payer):
    w = World(vorkuta, operator, boundary_month_rule="pro_rata_lessons")
    accepted_advance(w.staff, payer, w.provider)
    fam_b, b = w.sign(d(15))
    lessons = {x.scheduled_on: x for x in services.ensure_lessons(group=w.group, month=OCT)}
    assert sorted(lessons) == [d(6), d(13), d(20), d(27)]  # the Tuesdays of October 2026
    with clock.frozen(d(12)):
        services.move_lesson(
            actor=w.staff,
            lesson=lessons[d(13)],
            held_on=d(16),
            starts_at=dt.time(16, 0),
            ends_at=dt.time(17, 30),
        )
        services.cancel_lesson(actor=w.staff, lesson=lessons[d(27)], reason="карантин")
    invoice = accepted_invoice(w.staff, payer, w.provider)
    lines = lines_of(invoice)
    # A was in force the whole month: billed in full whatever the rule.
    assert lines[w.a.pk].billed_kopecks == MONTH
    # Held: 6, 16 (moved from 13), 20 — the 27th cancelled. B from the 15th: 16 and 20.
    # 200 000 × 2 // 3 = 133 333.
    assert lines[b.pk].billed_kopecks == 133_333
    assert lines[b.pk].basis_note == "2 из 3 занятий по расписанию"
    # 200 000 + 133 333 = 333 333; − 160 000 = 173 333 due.
    assert (invoice.billed_kopecks, invoice.due_kopecks) == (333_333, 173_333)
    assert balance(fam_b, w.period).spent_kopecks == 133_333


def test_attended_hours(vorkuta, operator, payer):
    w = World(vorkuta, operator, billing_basis="attended_hours")
    accepted_advance(w.staff, payer, w.provider)
    _, b = w.sign(d(15))
    lessons = {x.held_on: x for x in services.ensure_lessons(group=w.group, month=OCT)}
    marks = {
        d(6): {w.a.pk: True},
        d(13): {w.a.pk: True},
        d(20): {w.a.pk: True, b.pk: True},
        d(27): {w.a.pk: False, b.pk: False},
    }
    with clock.frozen(d(28)):
        for day, row in marks.items():
            assert services.mark_attendance(actor=w.staff, lesson=lessons[day], marks=row) == len(
                row
            )
        # Marking the same again changes nothing.
        assert (
            services.mark_attendance(actor=w.staff, lesson=lessons[d(27)], marks=marks[d(27)]) == 0
        )
    assert Attendance.objects.filter(present=True).count() == 4
    invoice = accepted_invoice(w.staff, payer, w.provider)
    lines = lines_of(invoice)
    # October: 4 lessons × 90 min = 360 scheduled minutes.
    # A attended 3 = 270: 200 000 × 270 // 360 = 150 000.
    assert lines[w.a.pk].billed_kopecks == 150_000
    assert lines[w.a.pk].basis_note == "посещено 4,5 из 6 ч"
    # B attended 1 = 90: 200 000 × 90 // 360 = 50 000.
    assert lines[b.pk].billed_kopecks == 50_000
    # 150 000 + 50 000 = 200 000 billed; − 160 000 advance (80 % of A's planned month) = 40 000.
    assert (invoice.billed_kopecks, invoice.due_kopecks) == (200_000, 40_000)
    # A's certificate: 150 000 spent, the unattended 50 000 back to available.
    money = balance(w.fam_a, w.period)
    assert money.spent_kopecks == 150_000
    assert money.available_kopecks == NOMINAL - 1_800_000 + 50_000
    assert verify_ledger() == []


def test_advance_share_33_percent_rounds_down(vorkuta, operator, payer):
    w = World(vorkuta, operator, advance_share_percent=33)
    # A second contract signed on 1 Oct: Oct–May = 8 months, 1 600 000, 200 000 a month.
    w.sign(d(1))
    # A third one in a group priced 1 000 001 over 9 months: 1 000 001 // 9 = 111 111 a month
    # (the 2 left over go to the last month).
    other = ready_group(vorkuta, provider=w.provider, price=1_000_001, normative=2_000_000)
    signed_contract(vorkuta, operator, other)
    with clock.frozen(ADVANCE_DAY):
        advance = services.build_advance(actor=w.staff, provider=w.provider, month=OCT)
    # Base 200 000 + 200 000 + 111 111 = 511 111; 33 % = 168 666,63 → 168 666.
    assert advance.base_kopecks == 511_111
    assert advance.share_percent == 33
    assert advance.amount_kopecks == 168_666
    assert advance.contracts_count == 3
    assert sorted(advance.lines.values_list("month_kopecks", flat=True)) == [
        111_111,
        200_000,
        200_000,
    ]


def test_advance_before_its_day_is_refused(vorkuta, operator):
    w = World(vorkuta, operator)
    before = snapshot()
    # Thu 1 Oct is the 1st working day; the advance opens on the 2nd (Fri 2 Oct).
    with clock.frozen(d(1)), pytest.raises(Conflict) as exc:
        services.build_advance(actor=w.staff, provider=w.provider, month=OCT)
    assert exc.value.code == "advance_too_early"
    assert snapshot() == before
    with clock.frozen(d(2)):
        assert services.build_advance(actor=w.staff, provider=w.provider, month=OCT).pk


def test_a_draft_advance_is_withdrawn_by_the_invoice(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    with clock.frozen(ADVANCE_DAY):
        advance = services.build_advance(actor=w.staff, provider=w.provider, month=OCT)
        services.submit_advance(actor=w.staff, advance=advance)
    # A submitted advance not yet decided blocks the invoice.
    with clock.frozen(INVOICE_DAY), pytest.raises(Conflict) as exc:
        services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
    assert exc.value.code == "advance_undecided"
    with clock.frozen(INVOICE_DAY):
        services.reject_advance(actor=payer, advance=advance, reason="ошибка в сумме")
        invoice = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
    advance.refresh_from_db()
    assert advance.status == DocumentStatus.WITHDRAWN
    # Nothing was paid in advance: the whole month is due.
    assert (invoice.advance_kopecks, invoice.due_kopecks) == (0, MONTH)


# ----------------------------------------------------------------------------- December


def test_december_invoice_filed_within_december(vorkuta, operator, payer):
    w = World(vorkuta, operator)  # december_invoice_in_december is on by default
    assert w.period.december_invoice_in_december
    # Tue 1 Dec is the 1st working day; December's invoice opens with the advance, on the 2nd.
    before = snapshot()
    with clock.frozen(d(1, 12)), pytest.raises(Conflict) as exc:
        services.build_invoice(actor=w.staff, provider=w.provider, month=DEC)
    assert exc.value.code == "month_not_ended"
    assert snapshot() == before
    invoice = accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(2, 12))
    assert invoice.status == DocumentStatus.ACCEPTED
    assert (invoice.billed_kopecks, invoice.due_kopecks) == (MONTH, MONTH)
    # Accepted Wed 2 Dec: to be paid within 5 working days, by Wed 9 Dec — still in 2026.
    assert invoice.pay_by == d(9, 12)
    assert balance(w.fam_a, w.period).spent_kopecks == MONTH


def test_december_invoice_counts_lessons_ahead_on_attended_hours(vorkuta, operator, payer):
    w = World(vorkuta, operator, billing_basis="attended_hours")
    lessons = {x.held_on: x for x in services.ensure_lessons(group=w.group, month=DEC)}
    # Tuesdays of December 2026: 1, 8, 15, 22, 29.
    assert sorted(lessons) == [d(1, 12), d(8, 12), d(15, 12), d(22, 12), d(29, 12)]
    with clock.frozen(d(10, 12)):
        services.mark_attendance(actor=w.staff, lesson=lessons[d(1, 12)], marks={w.a.pk: True})
        services.mark_attendance(actor=w.staff, lesson=lessons[d(8, 12)], marks={w.a.pk: False})
    invoice = accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(10, 12))
    # 5 × 90 = 450 scheduled; attended the 1st (90) + the 15th, 22nd, 29th still ahead and
    # counted as planned (270) = 360: 200 000 × 360 // 450 = 160 000.
    assert invoice.billed_kopecks == 160_000
    assert lines_of(invoice)[w.a.pk].basis_note == "посещено 6 из 7,5 ч"


def test_december_invoice_in_january_when_so_set(vorkuta, operator, payer):
    w = World(vorkuta, operator, december_invoice_in_december=False)
    before = snapshot()
    with clock.frozen(d(28, 12)), pytest.raises(Conflict) as exc:
        services.build_invoice(actor=w.staff, provider=w.provider, month=DEC)
    assert exc.value.code == "month_not_ended"
    assert snapshot() == before
    invoice = accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(1, 1, 2027))
    assert invoice.billed_kopecks == MONTH


# ------------------------------------------------------------------- negative carry-over


def test_negative_carry_over_is_taken_by_next_months_invoice(vorkuta, operator, payer):
    w = World(vorkuta, operator, boundary_month_rule="pro_rata_days")
    _, c = w.sign(d(1, 9))
    advance = accepted_advance(w.staff, payer, w.provider)
    # Two contracts × 200 000 = 400 000; 80 % = 320 000, paid in full on 6 Oct.
    assert advance.amount_kopecks == 320_000
    with clock.frozen(d(6)):
        services.record_payment(
            actor=payer,
            document=advance,
            order_number="A-1",
            paid_on=d(6),
            amount_kopecks=320_000,
        )
    with clock.frozen(d(9)):
        enrolment.terminate(actor=w.fam_a.parent, contract=w.a)
    # A terminated on 9 Oct: November–May (7 × 200 000) returned at once; September (not
    # billed in this test) and October stay reserved for billing: 2 × 200 000.
    assert balance(w.fam_a, w.period).reserved_kopecks == 2 * MONTH

    october = accepted_invoice(w.staff, payer, w.provider)
    lines = lines_of(october)
    # A: 1–9 Oct = 9 of 31 days: 200 000 × 9 // 31 = 58 064; C: 200 000 in full.
    assert lines[w.a.pk].billed_kopecks == 58_064
    assert (lines[w.a.pk].active_from, lines[w.a.pk].active_to) == (d(1), d(9))
    assert lines[c.pk].billed_kopecks == MONTH
    # billed 258 064 < advance 320 000: offset 258 064, nothing due, 61 936 carried out.
    assert october.billed_kopecks == 258_064
    assert (october.offset_kopecks, october.due_kopecks, october.carry_out_kopecks) == (
        258_064,
        0,
        61_936,
    )
    # A's certificate: 58 064 spent, the rest of October (141 936) back; September reserved.
    money = balance(w.fam_a, w.period)
    assert (money.spent_kopecks, money.reserved_kopecks) == (58_064, MONTH)
    assert money.available_kopecks == NOMINAL - MONTH - 58_064

    november = accepted_invoice(w.staff, payer, w.provider, month=NOV, on=d(1, 12))
    # November: C 200 000; no advance; 61 936 carried in → 138 064 due, nothing carried on.
    assert november.carry_from_id == october.pk
    assert (november.billed_kopecks, november.advance_kopecks, november.carry_in_kopecks) == (
        MONTH,
        0,
        61_936,
    )
    assert (november.offset_kopecks, november.due_kopecks, november.carry_out_kopecks) == (
        61_936,
        138_064,
        0,
    )
    # The ledger: the advance paid (320 000 out of the advance account) is offset by both
    # invoices (258 064 + 61 936 = 320 000), so the advance account is back at zero.
    offsets = dict(
        Transfer.objects.filter(kind=Transfer.Kind.OFFSET).values_list("key", "amount_kopecks")
    )
    assert offsets == {f"offset:i{october.pk}": 258_064, f"offset-carry:i{november.pk}": 61_936}
    advance_account = Account.objects.get(
        kind=Account.Kind.ADVANCE, period=w.period, holder_id=w.provider.pk
    )
    assert advance_account.debits_posted_kopecks == 320_000
    assert advance_account.credits_posted_kopecks == 320_000
    assert verify_ledger() == []
    for month in (OCT, NOV):
        rec = selectors.reconciliation(vorkuta, month)
        assert rec.ok, (rec.checks, rec.ledger_problems)
    oct_row = selectors.reconciliation(vorkuta, OCT).providers[0]
    # 258 064 of lines = 320 000 paid + 0 outstanding + 0 taken in − 61 936 carried out.
    assert (oct_row.lines_kopecks, oct_row.paid_kopecks, oct_row.carry_out_kopecks) == (
        258_064,
        320_000,
        61_936,
    )
    # The carry is taken once: a December invoice finds nothing more to take.
    december = accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(2, 12))
    assert (december.carry_in_kopecks, december.carry_from_id) == (0, None)


# ---------------------------------------------------------- acceptance posts the money


def test_acceptance_posts_reservations_and_parent_sees_the_charge(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    before = balance(w.fam_a, w.period)
    assert (before.reserved_kopecks, before.spent_kopecks) == (1_800_000, 0)
    invoice = accepted_invoice(w.staff, payer, w.provider)
    after = balance(w.fam_a, w.period)
    # October's 200 000 moves from reserved to spent; available does not change.
    assert after.spent_kopecks == MONTH
    assert after.reserved_kopecks == 1_800_000 - MONTH
    assert after.available_kopecks == before.available_kopecks == NOMINAL - 1_800_000
    line = invoice.lines.get()
    charge = Transfer.objects.get(key=f"bill:{line.reservation_id}")
    assert charge.kind == Transfer.Kind.CHARGE
    assert charge.phase == Transfer.Phase.POST_PENDING
    assert charge.pending_id == line.reservation_id
    assert charge.amount_kopecks == MONTH
    # The family's statement shows the charge with its description.
    rows = certificate_selectors.statement(w.fam_a.certificate)
    charges = [r for r in rows if r.kind == Transfer.Kind.CHARGE]
    assert len(charges) == 1
    assert charges[0].description == (
        f"Оплата за октябрь 2026 по договору № {w.a.number} (полный месяц)"
    )
    assert charges[0].effect_kopecks == -MONTH
    assert charges[0].movement == "списано"
    # The provider is owed it: the payable account holds 200 000. Accepted Mon 2 Nov, paid
    # within 5 working days — 3, 5, 6, 9, 10 Nov (Wed 4 Nov is Unity Day): by Tue 10 Nov.
    assert invoice.pay_by == d(10, 11)
    owed = selectors.owed_summary(
        AdvanceRequest.objects.filter(provider=w.provider),
        Invoice.objects.filter(provider=w.provider),
    )
    assert owed.outstanding_kopecks == MONTH
    assert verify_ledger() == []


def test_reject_then_rebuild_then_accept(vorkuta, operator, payer):
    w = World(vorkuta, operator, boundary_month_rule="pro_rata_days")
    with clock.frozen(INVOICE_DAY):
        invoice = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
        services.submit_invoice(actor=w.staff, invoice=invoice)
        before = snapshot()
        with pytest.raises(ValidationFailed):
            services.reject_invoice(actor=payer, invoice=invoice, reason="  ")
        assert snapshot() == before
        services.reject_invoice(actor=payer, invoice=invoice, reason="нет подписи")
        invoice.refresh_from_db()
        assert (invoice.status, invoice.reject_reason) == (DocumentStatus.REJECTED, "нет подписи")
        # A rejected invoice moves no money.
        assert not Transfer.objects.filter(kind=Transfer.Kind.CHARGE).exists()
        with pytest.raises(Conflict) as exc:
            services.submit_invoice(actor=w.staff, invoice=invoice)
        assert exc.value.code == "not_draft"
        rebuilt = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
        assert rebuilt.pk == invoice.pk and rebuilt.status == DocumentStatus.DRAFT
        assert rebuilt.reject_reason == "" and rebuilt.lines.count() == 1
        services.submit_invoice(actor=w.staff, invoice=rebuilt)
        accepted = services.accept_invoice(actor=payer, invoice=rebuilt)
    assert accepted.status == DocumentStatus.ACCEPTED
    assert Transfer.objects.filter(kind=Transfer.Kind.CHARGE).count() == 1
