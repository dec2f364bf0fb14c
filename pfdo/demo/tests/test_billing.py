"""The billing demo: ended months invoiced, accepted and paid, the current month open, every
document at a moment that could have been, an exact reconciliation, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from pfdo.accounts.models import Notification, User
from pfdo.audit.models import ActionLog
from pfdo.billing import calculation as calc
from pfdo.billing import selectors, services
from pfdo.billing.models import (
    AdvanceLine,
    AdvanceRequest,
    Attendance,
    DocumentStatus,
    Invoice,
    InvoiceLine,
    Lesson,
    Payment,
)
from pfdo.certificates import selectors as certificate_selectors
from pfdo.common import clock, months
from pfdo.common.errors import Conflict
from pfdo.demo import billing as demo
from pfdo.demo.seed import seed
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.financing.selectors import current_period
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import verify_ledger
from pfdo.providers.models import ProviderStaff
from pfdo.territory.models import Municipality

TODAY = dt.date(2026, 11, 28)
SEP, OCT, NOV, DEC = (dt.date(2026, m, 1) for m in (9, 10, 11, 12))
GENERATED = 300  # generated children over the hand-written catalogue, as the enrolment tests
Status = DocumentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo seeded once for the module, inside a transaction rolled back at its end (each
    test still runs in its own savepoint, so what a test does is undone after it)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with clock.frozen(TODAY):
                report = seed("small", generated=False, children=GENERATED)
            vorkuta = Municipality.objects.get(code="vorkuta")
            with clock.frozen(TODAY):
                period = current_period(vorkuta)
            yield report, vorkuta, period
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


def reserved_providers(vorkuta, month) -> set[int]:
    """Providers with a contract month reserved in `month` and not given back."""
    voided = Transfer.objects.filter(phase=Transfer.Phase.VOID_PENDING).values("pending_id")
    return set(
        ContractMonth.objects.filter(
            month=month,
            contract__municipality=vorkuta,
            contract__funding=Contract.Funding.CERTIFICATE,
            reservation_id__isnull=False,
        )
        .exclude(reservation_id__in=voided)
        .values_list("contract__provider_id", flat=True)
    )


def snapshot():
    return (
        AdvanceRequest.objects.count(),
        AdvanceLine.objects.count(),
        Invoice.objects.count(),
        InvoiceLine.objects.count(),
        Payment.objects.count(),
        Transfer.objects.count(),
        Lesson.objects.count(),
        Attendance.objects.count(),
        ActionLog.objects.count(),
        Notification.objects.count(),
        list(AdvanceRequest.objects.order_by("pk").values_list("status", "paid_kopecks")),
        list(Invoice.objects.order_by("pk").values_list("status", "due_kopecks", "paid_kopecks")),
    )


def test_ended_months_are_invoiced_accepted_and_paid(seeded):
    report, vorkuta, _period = seeded
    summary = report.billing
    assert summary == demo.summary(municipality=vorkuta, period=_period)
    # On 28 November two months of the period have ended; November is the open one.
    assert summary.billed_months == (SEP, OCT)
    assert summary.open_month == NOV
    partly_paid = []
    for month in (SEP, OCT):
        providers = reserved_providers(vorkuta, month)
        assert len(providers) >= 3
        invoices = Invoice.objects.filter(municipality=vorkuta, month=month)
        assert set(invoices.values_list("provider_id", flat=True)) == providers
        assert set(invoices.values_list("status", flat=True)) == {Status.ACCEPTED}
        for invoice in invoices:
            lines = invoice.lines.aggregate(s=Sum("billed_kopecks"))["s"]
            assert lines == invoice.billed_kopecks == invoice.offset_kopecks + invoice.due_kopecks
            assert invoice.due_kopecks > 0
            if invoice.paid_kopecks != invoice.due_kopecks:
                partly_paid.append(invoice)
        advances = AdvanceRequest.objects.filter(municipality=vorkuta, month=month)
        assert advances.exists()
        for advance in advances:
            assert advance.status == Status.ACCEPTED
            assert advance.paid_kopecks == advance.amount_kopecks > 0
            # The invoice offsets exactly that advance.
            invoice = invoices.get(provider_id=advance.provider_id)
            assert invoice.advance_kopecks == invoice.offset_kopecks == advance.amount_kopecks
        # Every reserved month of the month is charged: nothing left unbilled.
        assert selectors.reconciliation(vorkuta, month).unbilled_months == 0
    # One invoice is paid only in part: the rest is still owed.
    assert len(partly_paid) == 1
    (partial,) = partly_paid
    assert partial.month == OCT and 0 < partial.paid_kopecks < partial.due_kopecks
    assert summary.outstanding_kopecks == partial.due_kopecks - partial.paid_kopecks
    assert summary.payments == Payment.objects.filter(municipality=vorkuta).count()


def test_the_current_month_is_open(seeded):
    _report, vorkuta, _period = seeded
    assert not Invoice.objects.filter(month=NOV).exists()
    advances = AdvanceRequest.objects.filter(municipality=vorkuta, month=NOV)
    assert set(advances.values_list("provider_id", flat=True)) == reserved_providers(vorkuta, NOV)
    for advance in advances:
        assert advance.status == Status.ACCEPTED
        assert advance.paid_kopecks == advance.amount_kopecks > 0
    # November's money is still reserved on the certificates (none of it charged; only what
    # terminated contracts gave back is resolved), and its invoice is not due yet.
    reserved = ContractMonth.objects.filter(
        month=NOV, contract__funding=Contract.Funding.CERTIFICATE, reservation_id__isnull=False
    ).values("reservation_id")
    resolutions = Transfer.objects.filter(pending_id__in=reserved)
    assert not resolutions.filter(kind=Transfer.Kind.CHARGE).exists()
    released = resolutions.filter(phase=Transfer.Phase.VOID_PENDING).count()
    rec = selectors.reconciliation(vorkuta, NOV)
    assert rec.providers == []
    assert rec.unbilled_months == reserved.count() - released > 0
    provider = advances.first().provider
    with pytest.raises(Conflict) as refused:
        services.build_invoice(actor=None, provider=provider, month=NOV)
    assert refused.value.code == "month_not_ended"


def test_reconciliation_is_exact_and_the_ledger_clean(seeded):
    _report, vorkuta, _period = seeded
    for month in (SEP, OCT):
        rec = selectors.reconciliation(vorkuta, month)
        assert rec.ok, (month, [(c.label, c.left_kopecks, c.right_kopecks) for c in rec.checks])
        assert rec.providers and rec.total("lines_kopecks") > 0
    assert verify_ledger() == []


def test_each_document_at_a_moment_it_could_have_been(seeded):
    _report, vorkuta, _period = seeded
    contracts = Contract.objects.in_bulk()
    for advance in AdvanceRequest.objects.filter(municipality=vorkuta):
        built = advance.built_at
        assert (
            services.advance_opens_on(advance.period, advance.month)
            <= timezone.localdate(built)
            <= months.month_end(advance.month)
        )
        # Exactly the contracts build_advance takes, as they stood when it was built: signed
        # by then, not ended, with the month reserved on the certificate.
        in_force = {
            c.pk
            for c in (
                contracts[pk]
                for pk in ContractMonth.objects.filter(
                    month=advance.month,
                    contract__provider_id=advance.provider_id,
                    contract__funding=Contract.Funding.CERTIFICATE,
                    reservation_id__isnull=False,
                ).values_list("contract_id", flat=True)
            )
            if c.accepted_at <= built and (c.ended_at is None or c.ended_at > built)
        }
        lines = dict(advance.lines.values_list("contract_id", "month_kopecks"))
        assert set(lines) == in_force and len(lines) == advance.contracts_count
        assert advance.base_kopecks == sum(lines.values())
        assert advance.amount_kopecks == calc.advance_amount(
            advance.base_kopecks, advance.share_percent
        )
        assert built < advance.submitted_at < advance.decided_at
        # Built by the provider's own staff, as the service records it.
        log = ActionLog.objects.get(action="billing.advance_built", object_id=str(advance.pk))
        assert log.at == built
        assert ProviderStaff.objects.filter(
            provider_id=advance.provider_id, user_id=log.actor_id
        ).exists()
    for invoice in Invoice.objects.filter(municipality=vorkuta):
        signed = [
            contracts[pk].accepted_at for pk in invoice.lines.values_list("contract_id", flat=True)
        ]
        assert max(signed) < invoice.built_at < invoice.submitted_at < invoice.decided_at
        assert timezone.localdate(invoice.built_at) >= services.invoice_opens_on(
            invoice.period, invoice.month
        )
    for payment in Payment.objects.filter(municipality=vorkuta).select_related(
        "advance", "invoice"
    ):
        document = payment.document
        assert timezone.localdate(document.decided_at) <= payment.paid_on <= document.pay_by
        assert payment.paid_on <= TODAY


def test_the_demo_provider_had_an_invoice_rejected_and_rebuilt(seeded):
    _report, _vorkuta, _period = seeded
    provider_user = User.objects.get(username="provider")
    rejections = ActionLog.objects.filter(action="billing.invoice_rejected")
    assert rejections.count() == 1
    rejection = rejections.get()
    invoice = Invoice.objects.get(pk=rejection.object_id)
    assert invoice.month == OCT
    assert invoice.provider.staff.filter(user=provider_user).exists()
    assert rejection.actor.username == "payer"
    assert "Журнал посещаемости за октябрь 2026" in rejection.details["reason"]
    # Rebuilt after the journal was completed, submitted again, accepted and paid in full.
    assert invoice.status == Status.ACCEPTED and invoice.reject_reason == ""
    assert rejection.at < invoice.built_at < invoice.submitted_at < invoice.decided_at
    assert invoice.paid_kopecks == invoice.due_kopecks
    late = Attendance.objects.filter(
        lesson__group__module__program__provider=invoice.provider,
        lesson__held_on__month=10,
        marked_at__gt=rejection.at,
    )
    assert late.exists()
    assert all(rejection.at < a.marked_at < invoice.built_at for a in late)
    assert all(f"{a.lesson.held_on:%d.%m}" in rejection.details["reason"] for a in late)
    # The demo login sees its documents.
    assert Invoice.objects.for_user(provider_user).filter(pk=invoice.pk).exists()
    assert AdvanceRequest.objects.for_user(provider_user).filter(month=NOV).exists()


def test_the_demo_parent_sees_the_journal_and_each_monthly_charge(seeded, client):
    _report, _vorkuta, period = seeded
    parent = User.objects.get(username="parent")
    contract = Contract.objects.get(
        parent=parent, funding=Contract.Funding.CERTIFICATE, status=Contract.Status.ACTIVE
    )
    assert contract.child.first_name == "Анна"
    # Her group's journal, month by month up to today, and nothing marked ahead of time.
    marks = selectors.child_attendance(contract)
    assert {months.month_start(a.lesson.held_on) for a in marks} == {SEP, OCT, NOV}
    assert all(a.lesson.held_on <= TODAY for a in marks)
    assert all(a.marked_at.date() >= a.lesson.held_on for a in marks)
    assert min(a.lesson.held_on for a in marks) >= contract.starts_on
    assert {a.marked_by.username for a in marks} <= set(
        contract.provider.staff.values_list("user__username", flat=True)
    )
    # Each billed month charged on her certificate, the rest still reserved.
    charges = [
        t
        for t in certificate_selectors.statement(contract.certificate)
        if t.kind == Transfer.Kind.CHARGE
    ]
    assert sorted(t.description.split(" по договору")[0] for t in charges) == [
        "Оплата за октябрь 2026",
        "Оплата за сентябрь 2026",
    ]
    assert all(f"№ {contract.number}" in t.description for t in charges)
    reserved_by_month = dict(contract.months.values_list("month", "certificate_kopecks"))
    money = certificate_selectors.balance(contract.certificate, period)
    assert (
        money.spent_kopecks
        == reserved_by_month[SEP] + reserved_by_month[OCT]
        == sum(t.amount_kopecks for t in charges)
    )
    assert money.reserved_kopecks == contract.certificate_kopecks - money.spent_kopecks
    # And in her cabinet.
    client.force_login(parent)
    page = client.get(f"/cabinet/parent/certificates/{contract.certificate_id}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Оплата за сентябрь 2026" in text and "Оплата за октябрь 2026" in text


def test_a_second_run_creates_nothing(seeded):
    before = snapshot()
    with clock.frozen(TODAY):
        seed("small", generated=False, children=GENERATED)
    assert snapshot() == before
    assert verify_ledger() == []


def test_a_later_run_bills_what_has_ended_since(seeded):
    """Seeded again on 21 December (as `make run` does every start): November is invoiced
    and paid — three months now — December's advance paid; nothing done twice."""
    _report, vorkuta, period = seeded
    rejected = ActionLog.objects.filter(action="billing.invoice_rejected").count()
    with clock.frozen(timezone.make_aware(dt.datetime(2026, 12, 21, 12, 0))):
        summary = demo.seed_billing(
            municipality=vorkuta,
            period=period,
            payer=User.objects.get(username="payer"),
            demo_staff=User.objects.get(username="provider"),
            parent=User.objects.get(username="parent"),
        )
        assert summary.billed_months == (SEP, OCT, NOV)
        assert summary.open_month == DEC
        rec = selectors.reconciliation(vorkuta, NOV)
        assert rec.ok and rec.unbilled_months == 0
        invoices = Invoice.objects.filter(month=NOV)
        assert set(invoices.values_list("provider_id", flat=True)) == reserved_providers(
            vorkuta, NOV
        )
        assert not invoices.exclude(status=Status.ACCEPTED).exists()
        assert not invoices.exclude(paid_kopecks=F("due_kopecks")).exists()
        assert not AdvanceRequest.objects.filter(month=DEC).exclude(status=Status.ACCEPTED).exists()
        assert AdvanceRequest.objects.filter(month=DEC).exists()
        assert not Invoice.objects.filter(month=DEC).exists()
    # The demo's one rejection and one partial payment are not repeated.
    assert ActionLog.objects.filter(action="billing.invoice_rejected").count() == rejected
    assert (
        Invoice.objects.filter(status=Status.ACCEPTED, paid_kopecks__lt=F("due_kopecks")).count()
        == 1
    )
    assert verify_ledger() == []


def test_nothing_is_billed_outside_a_running_period(seeded):
    _report, vorkuta, period = seeded
    before = snapshot()
    with clock.frozen(dt.date(2026, 8, 20)):
        summary = demo.seed_billing(municipality=vorkuta, period=period)
    assert summary.open_month is None
    assert demo.seed_billing(municipality=vorkuta, period=None).billed_months == ()
    assert snapshot() == before


def test_the_command_line_summary(seeded):
    report, _vorkuta, _period = seeded
    text = report.billing.describe()
    assert "счета приняты за месяцы — сентябрь 2026, октябрь 2026" in text
    assert "Ноябрь 2026 открыт" in text
