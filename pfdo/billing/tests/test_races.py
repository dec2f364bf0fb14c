"""Billing races on PostgreSQL: real threads, each with its own connection, committed work.

The payer double-clicks acceptances and payments, month runs overlap, teachers mark the
same lesson at once. Each race ends with the ledger verified and the month reconciled.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Count

from pfdo.billing import services
from pfdo.billing.models import (
    AdvanceRequest,
    Attendance,
    Invoice,
    InvoiceLine,
    Lesson,
    Payment,
)
from pfdo.billing.tests.factories import approved_period
from pfdo.billing.tests.races_world import (
    NOV,
    OCT,
    Status,
    assert_each_reservation_resolved_at_most_once,
    assert_reconciled,
    bill_keys,
    provider_with_contracts,
    submitted_invoice,
)
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.common.tests.races import as_user, codes, errors_of, run_at_once
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import verify_ledger

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


# ------------------------------------------------------------------ decisions and payments


def test_five_acceptances_of_one_invoice_post_the_reservations_once(vorkuta, operator, payer):
    approved_period(vorkuta)
    provider, staff, _ = provider_with_contracts(vorkuta, operator, 3)
    invoice = submitted_invoice(provider, staff, OCT, dt.date(2026, 11, 2))

    with clock.frozen(dt.date(2026, 11, 2)):
        outcomes = run_at_once(
            [
                lambda: services.accept_invoice(
                    actor=as_user(payer.pk), invoice=Invoice.objects.get(pk=invoice.pk)
                )
            ]
            * 5
        )

    accepted = [o for o in outcomes if isinstance(o, Invoice)]
    assert len(accepted) == 1, codes(outcomes)
    assert codes(outcomes) == {"already_accepted": 4}
    assert all(isinstance(e, Conflict) for e in errors_of(outcomes))
    invoice.refresh_from_db()
    assert invoice.status == Status.ACCEPTED and invoice.due_kopecks == 3 * 200_000
    # One charge per line, for the billed amount, and nothing else posted against them.
    charges = Transfer.objects.filter(key__in=bill_keys(invoice))
    assert charges.count() == 3
    assert sum(charges.values_list("amount_kopecks", flat=True)) == invoice.billed_kopecks
    assert Transfer.objects.filter(kind=Transfer.Kind.CHARGE).count() == 3
    assert_each_reservation_resolved_at_most_once()
    assert verify_ledger() == []
    assert_reconciled(vorkuta, OCT)


@pytest.mark.parametrize("kind", ["invoice", "advance"])
def test_ten_payments_of_forty_percent_pay_at_most_the_amount_owed(vorkuta, operator, payer, kind):
    approved_period(vorkuta)
    provider, staff, _ = provider_with_contracts(vorkuta, operator, 3)
    with clock.frozen(dt.date(2026, 11, 3)):
        if kind == "invoice":
            document = services.build_invoice(actor=staff, provider=provider, month=OCT)
            services.submit_invoice(actor=staff, invoice=document)
            document = services.accept_invoice(actor=payer, invoice=document)
        else:
            document = services.build_advance(actor=staff, provider=provider, month=NOV)
            services.submit_advance(actor=staff, advance=document)
            document = services.accept_advance(actor=payer, advance=document)
    owed = document.payable_kopecks
    assert owed > 0
    share = owed * 40 // 100
    model = type(document)

    with clock.frozen(dt.date(2026, 11, 5)):
        outcomes = run_at_once(
            [
                lambda n=n: services.record_payment(
                    actor=as_user(payer.pk),
                    document=model.objects.get(pk=document.pk),
                    order_number=f"77-{n}",
                    paid_on=dt.date(2026, 11, 5),
                    amount_kopecks=share,
                )
                for n in range(10)
            ]
        )

    paid = [o for o in outcomes if isinstance(o, Payment)]
    # 40% twice fits, a third would exceed what is owed: exactly two get through.
    assert len(paid) == 2, codes(outcomes)
    assert codes(outcomes) == {"overpayment": 8}
    document.refresh_from_db()
    assert document.paid_kopecks == 2 * share <= owed
    assert Payment.objects.count() == 2
    pays = Transfer.objects.filter(kind=Transfer.Kind.PAY)
    assert sorted(pays.values_list("pk", flat=True)) == sorted(p.transfer_id for p in paid)
    assert sum(pays.values_list("amount_kopecks", flat=True)) == 2 * share
    assert verify_ledger() == []
    if kind == "invoice":
        rec = assert_reconciled(vorkuta, OCT)
        assert rec.providers[0].outstanding_kopecks == owed - 2 * share


def test_one_payment_order_number_on_two_documents_at_once_is_recorded_once(
    vorkuta, operator, payer
):
    """Two providers' invoices paid at the same moment with the same order number and date:
    the document locks do not serialise them, the unique order does."""
    approved_period(vorkuta)
    invoices = []
    for _ in range(4):
        provider, staff, _ = provider_with_contracts(vorkuta, operator, 1)
        invoice = submitted_invoice(provider, staff, OCT, dt.date(2026, 11, 2))
        with clock.frozen(dt.date(2026, 11, 2)):
            invoices.append(services.accept_invoice(actor=payer, invoice=invoice))

    with clock.frozen(dt.date(2026, 11, 5)):
        outcomes = run_at_once(
            [
                lambda i=i: services.record_payment(
                    actor=as_user(payer.pk),
                    document=Invoice.objects.get(pk=i.pk),
                    order_number="501",
                    paid_on=dt.date(2026, 11, 5),
                    amount_kopecks=1_000,
                )
                for i in invoices
                for _ in range(2)
            ]
        )

    assert len([o for o in outcomes if isinstance(o, Payment)]) == 1, codes(outcomes)
    assert codes(outcomes) == {"duplicate_order": 7}
    assert Payment.objects.count() == 1
    assert Transfer.objects.filter(kind=Transfer.Kind.PAY).count() == 1
    assert sum(Invoice.objects.values_list("paid_kopecks", flat=True)) == 1_000
    assert verify_ledger() == []


# ------------------------------------------------------------------------- the month run


@pytest.mark.parametrize(
    ("model", "month", "today"),
    [(Invoice, OCT, dt.date(2026, 11, 2)), (AdvanceRequest, NOV, dt.date(2026, 11, 3))],
    ids=["invoices", "advances"],
)
def test_three_month_runs_at_once_build_one_document_per_provider(
    vorkuta, operator, payer, model, month, today
):
    approved_period(vorkuta)
    providers = [provider_with_contracts(vorkuta, operator, 2)[0] for _ in range(4)]

    with clock.frozen(today):
        outcomes = run_at_once(
            [
                lambda: services.bill_month(
                    actor=as_user(payer.pk), municipality=vorkuta, month=month
                )
            ]
            * 3
        )

    assert errors_of(outcomes) == [], codes(outcomes)
    built = sum(r.invoices_built + r.advances_built for r in outcomes)
    # Each provider's document was built at least once (a draft may be rebuilt by a run
    # that came second), and every run accounted for every provider.
    assert built >= 4
    for run in outcomes:
        assert run.providers == 4
        assert run.invoices_built + run.advances_built + run.already_there + len(run.refused) == 4
        # The only refusal: another run was creating the same document at that moment.
        assert all("уже формируется" in message for _, message in run.refused), run.refused
    per_provider = Counter(model.objects.filter(month=month).values_list("provider_id", flat=True))
    assert per_provider == {p.pk: 1 for p in providers}
    assert all(d.contracts_count == 2 for d in model.objects.filter(month=month))
    assert all(d.status == Status.DRAFT for d in model.objects.all())
    if model is Invoice:
        assert InvoiceLine.objects.count() == 8
        assert (
            not InvoiceLine.objects.values("contract_month_id")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
    else:
        assert sum(AdvanceRequest.objects.values_list("base_kopecks", flat=True)) == 8 * 200_000
    assert verify_ledger() == []


# ------------------------------------------------------------------------------ journal


def test_one_lesson_marked_from_eight_threads_keeps_one_row_per_child(vorkuta, operator):
    approved_period(vorkuta)
    _, staff, signed = provider_with_contracts(vorkuta, operator, 3)
    with clock.frozen(dt.date(2026, 10, 20)):
        group = signed[0][1].group
        # Eight teachers' screens open the October journal at once: its lessons exist once.
        journals = run_at_once([lambda: services.ensure_lessons(group=group, month=OCT)] * 8)
        assert errors_of(journals) == []
        assert Lesson.objects.filter(group=group).count() == 4  # the Tuesdays of October
        lesson = Lesson.objects.filter(group=group).order_by("held_on").first()
        ids = [c.pk for _, c in signed]
        same = {ids[0]: True, ids[1]: False, ids[2]: True}

        outcomes = run_at_once(
            [
                lambda: services.mark_attendance(
                    actor=as_user(staff.pk), lesson=Lesson.objects.get(pk=lesson.pk), marks=same
                )
            ]
            * 8
        )

        assert errors_of(outcomes) == [], codes(outcomes)
        # Serialised on the lesson: the first writes three rows, the rest find them.
        assert sorted(outcomes) == [0] * 7 + [3]
        assert (
            dict(Attendance.objects.filter(lesson=lesson).values_list("contract_id", "present"))
            == same
        )

        # Now half the screens say everyone came and half that nobody did: all or nothing.
        outcomes = run_at_once(
            [
                lambda present=present: services.mark_attendance(
                    actor=as_user(staff.pk),
                    lesson=Lesson.objects.get(pk=lesson.pk),
                    marks=dict.fromkeys(ids, present),
                )
                for present in [True, False] * 4
            ]
        )

    assert errors_of(outcomes) == [], codes(outcomes)
    rows = list(Attendance.objects.filter(lesson=lesson).values_list("contract_id", "present"))
    assert len(rows) == 3 and {c for c, _ in rows} == set(ids)
    assert len({p for _, p in rows}) == 1  # one screen's marks, not a mixture
    # The first screen turned the mixed marks into its own (one or two changed); each later
    # one found the marks of the screen before it, so it changed all three or none.
    assert sum(1 for n in outcomes if n in (1, 2)) == 1, outcomes
    assert all(n in (0, 1, 2, 3) for n in outcomes)
    assert (
        not Attendance.objects.values("lesson_id", "contract_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
