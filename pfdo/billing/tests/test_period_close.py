"""The period close: unreserved money lapses, crossing contracts continue against the next
period's nominal, the rest complete, the freeze window, and money returned after the close."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from pfdo.accounts.models import Notification
from pfdo.billing import selectors, services
from pfdo.billing.models import Invoice, PeriodClosing
from pfdo.billing.tests.factories import (
    approved_period,
    family,
    ready_group,
    signed_contract,
    staff_of,
)
from pfdo.billing.tests.services_world import snapshot
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import Certificate
from pfdo.certificates.tests.factories import child_data
from pfdo.common import clock
from pfdo.common.errors import AccessDenied, Conflict
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.models import Application, ContinuationOffer, Contract, ContractMonth
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger

pytestmark = pytest.mark.django_db

NOMINAL = 2_417_100
NEXT_NOMINAL = 600_000
OLD_END = dt.date(2027, 8, 31)
NEXT_START = dt.date(2027, 9, 1)
CLOSE_DAY = dt.date(2027, 9, 2)
GROUP_GOES_ON = dt.date(2028, 5, 31)


def d(day: int, month: int, year: int) -> dt.date:
    return dt.date(year, month, day)


@pytest.fixture
def payer(make_user, vorkuta):
    return make_user("payer", municipality=vorkuta)


def next_period(vorkuta, nominal=NEXT_NOMINAL):
    return approved_period(
        vorkuta,
        name="ПФДО 2027/28",
        starts_on=NEXT_START,
        ends_on=dt.date(2028, 8, 31),
        nominal=nominal,
    )


class Setup:
    """2026/27 with three financing certificates, granted 2 417 100 each on 1 Sep 2026:

    k1 — a group running Sep 2026 – May 2028 (21 months, 2 100 000): 12 months in 2026/27,
         2 100 000 × 12 // 21 = 1 200 000, 100 000 a month;
    k2 — a group ending with the period (12 months, 1 200 000): 100 000 a month;
    a third certificate with no contract.
    """

    def __init__(self, vorkuta, operator, *, with_next=True, **old_fields):
        self.old = approved_period(vorkuta, **old_fields)
        self.new = next_period(vorkuta) if with_next else None
        self.crossing = ready_group(
            vorkuta, price=2_100_000, normative=2_100_000, ends_on=GROUP_GOES_ON
        )
        self.ending = ready_group(
            vorkuta, price=1_200_000, normative=1_200_000, ends_on=OLD_END, weekday=3
        )
        self.fam1, self.k1 = signed_contract(vorkuta, operator, self.crossing)
        self.fam2, self.k2 = signed_contract(vorkuta, operator, self.ending)
        with clock.frozen(d(1, 9, 2026)):
            self.fam3 = family(vorkuta, operator)
        assert self.k1.certificate_kopecks == 1_200_000
        assert self.k2.certificate_kopecks == 1_200_000

    def certificates(self):
        return [self.fam1.certificate, self.fam2.certificate, self.fam3.certificate]


def accept_continuation(fam, contract):
    """Issue 12: the continuation's co-payment grows (0 → 3 000 ₽), so the family accepts it."""
    offer = ContinuationOffer.objects.get(contract=contract, status="offered")
    return enrolment.accept_continuation(actor=fam.parent, offer=offer)


def money(fam, period):
    return certificate_selectors.balance(fam.certificate, period)


def budget(period) -> Account:
    return Account.objects.get(kind=Account.Kind.BUDGET, period=period)


def test_close_is_refused_before_the_end(vorkuta, operator, payer):
    s = Setup(vorkuta, operator)
    before = snapshot()
    with clock.frozen(OLD_END), pytest.raises(Conflict) as exc:
        services.close_period(actor=operator, period=s.old)
    assert exc.value.code == "period_not_ended"
    assert "31.08.2027" in exc.value.message
    with clock.frozen(CLOSE_DAY), pytest.raises(AccessDenied):
        services.close_period(actor=payer, period=s.old)
    assert snapshot() == before
    assert not PeriodClosing.objects.exists()
    s.old.refresh_from_db()
    assert s.old.status == FinancingPeriod.Status.APPROVED


def test_close_lapses_continues_and_completes(vorkuta, operator):
    s = Setup(vorkuta, operator)
    with clock.frozen(NEXT_START):
        # Three certificates × 600 000 of the next period.
        assert certificate_services.grant_period_nominals(actor=operator, period=s.new) == 3
    budget_before = budget(s.old).credits_posted_kopecks
    notes_before = Notification.objects.filter(user=s.fam1.parent).count()

    with clock.frozen(CLOSE_DAY):
        closing = services.close_period(actor=operator, period=s.old)

    s.old.refresh_from_db()
    assert s.old.status == FinancingPeriod.Status.CLOSED
    assert closing.next_period_id == s.new.pk and closing.finished_at is not None

    # Unreserved money lapses: k1's and k2's certificates 2 417 100 − 1 200 000 reserved =
    # 1 217 100 each (the months not yet billed stay reserved), the third 2 417 100:
    # 1 217 100 × 2 + 2 417 100 = 4 851 300.
    assert closing.lapsed_certificates == 3
    assert closing.lapsed_kopecks == 4_851_300
    for fam in (s.fam1, s.fam2, s.fam3):
        assert money(fam, s.old).available_kopecks == 0
    assert money(s.fam1, s.old).reserved_kopecks == 1_200_000
    assert budget(s.old).credits_posted_kopecks == budget_before + 4_851_300
    lapses = Transfer.objects.filter(kind=Transfer.Kind.LAPSE)
    accounts = Account.objects.filter(kind=Account.Kind.CERTIFICATE, period=s.old)
    assert sorted(lapses.values_list("key", flat=True)) == sorted(
        f"lapse:a{pk}" for pk in accounts.values_list("pk", flat=True)
    )
    assert set(lapses.values_list("credit_account_id", flat=True)) == {budget(s.old).pk}

    # k1's group goes on to May 2028: Sep 2027 – May 2028 = 9 of 21 months,
    # price = normative = 2 100 000 × 9 // 21 = 900 000; the next period's nominal 600 000
    # pays 600 000 (66 666 a month, the 6 left over in May), the family 300 000
    # (33 333 a month, 3 left over in May). Issue 12: the co-payment appears (0 → 300 000),
    # so the close offers the continuation; the place is kept until the family answers.
    offer = ContinuationOffer.objects.get(contract=s.k1)
    assert (offer.certificate_kopecks, offer.copay_kopecks, offer.previous_copay_kopecks) == (
        600_000,
        300_000,
        0,
    )
    assert Contract.objects.get(pk=s.k1.pk).status == Contract.Status.ACTIVE
    assert Contract.objects.get(pk=s.k1.pk).ends_on == OLD_END
    assert money(s.fam1, s.new).reserved_kopecks == 0
    offered_note = Notification.objects.filter(user=s.fam1.parent).latest("pk")
    assert "нужно ваше согласие" in offered_note.subject
    with clock.frozen(CLOSE_DAY):
        accept_continuation(s.fam1, s.k1)
    k1 = Contract.objects.get(pk=s.k1.pk)
    assert k1.status == Contract.Status.ACTIVE
    assert k1.ends_on == GROUP_GOES_ON
    assert k1.price_kopecks == 1_200_000 + 900_000
    assert k1.normative_kopecks == 1_200_000 + 900_000
    assert k1.certificate_kopecks == 1_200_000 + 600_000
    assert k1.copay_kopecks == 300_000
    assert k1.price_kopecks == k1.certificate_kopecks + k1.copay_kopecks
    new_months = list(k1.months.filter(month__gte=NEXT_START).order_by("month"))
    assert [m.month for m in new_months] == [dt.date(2027, m, 1) for m in range(9, 13)] + [
        dt.date(2028, m, 1) for m in range(1, 6)
    ]
    assert [m.certificate_kopecks for m in new_months] == [66_666] * 8 + [66_672]
    assert [m.copay_kopecks for m in new_months] == [33_333] * 8 + [33_336]
    assert sum(m.certificate_kopecks for m in k1.months.all()) == k1.certificate_kopecks
    assert sum(m.copay_kopecks for m in k1.months.all()) == k1.copay_kopecks
    # Reserved in the next period's accounts, month by month.
    reservations = Transfer.objects.filter(pk__in=[m.reservation_id for m in new_months])
    assert reservations.count() == 9
    assert {r.phase for r in reservations} == {Transfer.Phase.PENDING}
    assert {r.debit_account.key for r in reservations} == {
        f"certificate:p{s.new.pk}:h{s.fam1.certificate.pk}"
    }
    assert {r.credit_account.key for r in reservations} == {
        f"provider:p{s.new.pk}:h{k1.provider_id}"
    }
    next_money = money(s.fam1, s.new)
    assert (next_money.granted_kopecks, next_money.reserved_kopecks) == (600_000, 600_000)
    assert next_money.available_kopecks == 0
    # The parent is told.
    notes = Notification.objects.filter(user=s.fam1.parent).order_by("-pk")
    assert notes.count() == notes_before + 2  # the offer, then the acceptance
    assert notes[0].subject == f"Договор № {k1.number} продолжается в новом периоде"
    assert "доплата семьи — 3 000,00 ₽" in notes[0].body.replace("\xa0", " ")

    # k2's group ended with the period: the contract completes, nothing more reserved.
    k2 = Contract.objects.get(pk=s.k2.pk)
    assert k2.status == Contract.Status.COMPLETED
    assert k2.ends_on == OLD_END
    assert not k2.months.filter(month__gte=NEXT_START).exists()
    assert money(s.fam2, s.new).reserved_kopecks == 0
    assert (closing.continued_contracts, closing.ended_contracts) == (0, 1)
    assert verify_ledger() == []

    # Closing again changes nothing.
    before = snapshot()
    months_before = ContractMonth.objects.count()
    notes_total = Notification.objects.count()
    with clock.frozen(d(3, 9, 2027)):
        again = services.close_period(actor=operator, period=s.old)
    assert again.pk == closing.pk
    assert (again.lapsed_kopecks, again.continued_contracts) == (4_851_300, 0)
    assert snapshot() == before
    assert ContractMonth.objects.count() == months_before
    assert Notification.objects.count() == notes_total


def test_deadlines_job_waits_for_the_close(vorkuta, operator):
    s = Setup(vorkuta, operator)
    out = StringIO()
    # 2 Sep 2027: both contracts ended on 31 Aug; only k2's group ended too.
    with clock.frozen(CLOSE_DAY):
        call_command("run_enrolment_deadlines", stdout=out)
    assert "завершено договоров: 1" in out.getvalue()
    assert Contract.objects.get(pk=s.k1.pk).status == Contract.Status.ACTIVE
    assert Contract.objects.get(pk=s.k2.pk).status == Contract.Status.COMPLETED
    # Still waiting weeks later, as long as the period is not closed.
    with clock.frozen(d(1, 10, 2027)):
        call_command("run_enrolment_deadlines", stdout=StringIO())
    assert Contract.objects.get(pk=s.k1.pk).status == Contract.Status.ACTIVE
    with clock.frozen(d(1, 10, 2027)):
        closing = services.close_period(actor=operator, period=s.old)
        assert (closing.continued_contracts, closing.ended_contracts) == (0, 0)
        # The deadlines job leaves a contract whose continuation waits for the family.
        call_command("run_enrolment_deadlines", stdout=StringIO())
        assert Contract.objects.get(pk=s.k1.pk).status == Contract.Status.ACTIVE
        accept_continuation(s.fam1, s.k1)
    k1 = Contract.objects.get(pk=s.k1.pk)
    assert (k1.status, k1.ends_on) == (Contract.Status.ACTIVE, GROUP_GOES_ON)
    # September's month of the next period was reserved too, though it has passed.
    assert k1.months.filter(month=NEXT_START, reservation_id__isnull=False).exists()
    with clock.frozen(d(2, 10, 2027)):
        call_command("run_enrolment_deadlines", stdout=StringIO())
    assert Contract.objects.get(pk=s.k1.pk).status == Contract.Status.ACTIVE
    assert verify_ledger() == []


def test_close_refused_while_next_period_draft_and_contracts_cross(vorkuta, operator):
    # Issue 12: the close no longer cuts k1 (its group goes on to May 2028) on 31 Aug when no
    # next period is approved; it refuses and says why, and waits.
    s = Setup(vorkuta, operator, with_next=False)
    before = snapshot()
    with clock.frozen(CLOSE_DAY), pytest.raises(Conflict) as exc:
        services.close_period(actor=operator, period=s.old)
    assert exc.value.code == "next_period_not_approved"
    assert "1 договор(ов) продолжаются после 31.08.2027" in exc.value.message
    assert "следующий период ещё не создан" in exc.value.message
    draft = next_period(vorkuta)
    draft.status = FinancingPeriod.Status.DRAFT
    draft.save(update_fields=["status"])
    with clock.frozen(CLOSE_DAY):
        refusal = services.close_refusal(s.old)
    assert refusal.code == "next_period_not_approved"
    assert "следующий период «ПФДО 2027/28» ещё не утверждён" in refusal.message
    assert snapshot() == before
    assert not PeriodClosing.objects.exists()
    k1 = Contract.objects.get(pk=s.k1.pk)
    assert (k1.status, k1.ends_on) == (Contract.Status.ACTIVE, OLD_END)

    # Once approved, the close goes ahead: k1's continuation is offered, k2 completes.
    draft.status = FinancingPeriod.Status.APPROVED
    draft.save(update_fields=["status"])
    with clock.frozen(CLOSE_DAY):
        closing = services.close_period(actor=operator, period=s.old)
    assert closing.next_period_id == draft.pk
    assert (closing.continued_contracts, closing.ended_contracts) == (0, 1)
    assert ContinuationOffer.objects.get(contract=s.k1).status == "offered"
    assert closing.lapsed_kopecks == 4_851_300
    assert verify_ledger() == []


def test_without_crossing_contracts_the_close_needs_no_next_period(vorkuta, operator):
    s = Setup(vorkuta, operator, with_next=False)
    with clock.frozen(d(1, 6, 2027)):
        enrolment.terminate(actor=s.fam1.parent, contract=s.k1)
    with clock.frozen(CLOSE_DAY):
        closing = services.close_period(actor=operator, period=s.old)
    assert closing.next_period_id is None
    assert (closing.continued_contracts, closing.ended_contracts) == (0, 1)
    assert verify_ledger() == []


def test_freeze_window_stops_new_contracts_and_issuance(vorkuta, operator):
    # freeze_days = 10: 22–31 Aug 2027 are frozen (31 − 10 + 1 = 22).
    s = Setup(vorkuta, operator, freeze_days=10)
    assert s.old.frozen_from() == d(22, 8, 2027)
    # The day before the freeze both still work.
    with clock.frozen(d(21, 8, 2027)):
        late = family(vorkuta, operator)
    assert late.certificate.type == Certificate.Type.FINANCING

    parent = certificate_services.register_parent(
        actor=None, municipality=vorkuta, last_name="Смирнова", first_name="Ольга"
    )
    with clock.frozen(d(22, 8, 2027)):
        application = certificate_services.apply_for_certificate(
            actor=parent,
            municipality=vorkuta,
            parent=parent,
            child=child_data(),
            wants_financing=True,
        )
    before = snapshot()
    certificates = Certificate.objects.count()
    applications = Application.objects.count()
    with clock.frozen(d(25, 8, 2027)):
        with pytest.raises(Conflict) as exc:
            certificate_services.approve_application(actor=operator, application=application)
        assert exc.value.code == "period_frozen"
        assert "22.08.2027" in exc.value.message
        with pytest.raises(Conflict) as exc:
            enrolment.apply(
                actor=s.fam3.parent,
                certificate=s.fam3.certificate,
                group=s.crossing,
                copay_agreed=True,
            )
        assert exc.value.code == "period_frozen"
    assert snapshot() == before
    assert Certificate.objects.count() == certificates
    assert Application.objects.count() == applications

    # The next period is not frozen: on 1 Sep the same family may apply (its nominal for
    # 2027/28 is not granted yet, so the family agrees to pay the price itself).
    with clock.frozen(NEXT_START):
        done = enrolment.apply(
            actor=s.fam3.parent, certificate=s.fam3.certificate, group=s.crossing, copay_agreed=True
        )
    assert done.status == Application.Status.NEW


def test_august_invoice_after_the_close_lapses_what_returns(vorkuta, operator, payer):
    s = Setup(vorkuta, operator, boundary_month_rule="pro_rata_days")
    provider = s.ending.module.program.provider
    staff = staff_of(provider)
    with clock.frozen(d(10, 8, 2027)):
        enrolment.terminate(actor=s.fam2.parent, contract=s.k2)
    with clock.frozen(CLOSE_DAY):
        services.close_period(actor=operator, period=s.old)
    # k2's 12 months (Sep–Aug, none billed in this test) are still reserved: 1 200 000.
    assert money(s.fam2, s.old).reserved_kopecks == 1_200_000
    assert money(s.fam2, s.old).available_kopecks == 0
    budget_before = budget(s.old).credits_posted_kopecks

    with clock.frozen(d(3, 9, 2027)):
        invoice = services.build_invoice(actor=staff, provider=provider, month=d(1, 8, 2027))
        services.submit_invoice(actor=staff, invoice=invoice)
        invoice = services.accept_invoice(actor=payer, invoice=invoice)
    assert invoice.period_id == s.old.pk
    # 1–10 Aug = 10 of 31 days: 100 000 × 10 // 31 = 32 258 billed; 67 742 returns from the
    # reservation and lapses at once, the period being closed.
    assert invoice.billed_kopecks == 32_258
    after = money(s.fam2, s.old)
    assert after.spent_kopecks == 32_258
    assert after.reserved_kopecks == 1_100_000
    assert after.available_kopecks == 0
    account = Account.objects.get(
        kind=Account.Kind.CERTIFICATE, period=s.old, holder_id=s.fam2.certificate.pk
    )
    lapse = Transfer.objects.get(key=f"lapse:a{account.pk}:i{invoice.pk}")
    assert lapse.amount_kopecks == 67_742
    assert budget(s.old).credits_posted_kopecks == budget_before + 67_742
    assert Invoice.objects.get(pk=invoice.pk).status == "accepted"
    assert verify_ledger() == []


def test_continued_months_are_billed_in_the_next_period_and_take_its_overpayment(
    vorkuta, operator, payer
):
    s = Setup(vorkuta, operator, boundary_month_rule="pro_rata_days")
    provider = s.crossing.module.program.provider
    staff = staff_of(provider)
    fam_b, kb = signed_contract(vorkuta, operator, s.crossing)
    aug = d(1, 8, 2027)
    with clock.frozen(d(3, 8, 2027)):
        advance = services.build_advance(actor=staff, provider=provider, month=aug)
        services.submit_advance(actor=staff, advance=advance)
        advance = services.accept_advance(actor=payer, advance=advance)
        # k1 + kb: 2 × 100 000; 80 % = 160 000, paid at once.
        assert advance.amount_kopecks == 160_000
        services.record_payment(
            actor=payer,
            document=advance,
            order_number="8",
            paid_on=d(3, 8, 2027),
            amount_kopecks=160_000,
        )
    with clock.frozen(d(5, 8, 2027)):
        enrolment.terminate(actor=fam_b.parent, contract=kb)
    with clock.frozen(CLOSE_DAY):
        services.close_period(actor=operator, period=s.old)
        accept_continuation(s.fam1, s.k1)
        august = services.build_invoice(actor=staff, provider=provider, month=aug)
        services.submit_invoice(actor=staff, invoice=august)
        august = services.accept_invoice(actor=payer, invoice=august)
    # k1 100 000 + kb 1–5 Aug: 100 000 × 5 // 31 = 16 129 → 116 129 billed against the
    # 160 000 advance: 43 871 carried out.
    assert (august.billed_kopecks, august.due_kopecks, august.carry_out_kopecks) == (
        116_129,
        0,
        43_871,
    )
    with clock.frozen(d(1, 10, 2027)):
        september = services.build_invoice(actor=staff, provider=provider, month=NEXT_START)
        services.submit_invoice(actor=staff, invoice=september)
        september = services.accept_invoice(actor=payer, invoice=september)
    # September 2027 belongs to 2027/28: k1's continued month, 66 666 (see above), less the
    # 43 871 overpaid in August = 22 795 due.
    assert september.period_id == s.new.pk
    assert [(x.contract_id, x.billed_kopecks) for x in september.lines.all()] == [(s.k1.pk, 66_666)]
    assert september.carry_from_id == august.pk
    assert (september.carry_in_kopecks, september.due_kopecks) == (43_871, 22_795)
    # The next period's payable settles the closed period's advance account.
    offset = Transfer.objects.get(key=f"offset-carry:i{september.pk}")
    assert offset.debit_account.key == f"provider:p{s.new.pk}:h{provider.pk}"
    assert offset.credit_account.key == f"advance:p{s.old.pk}:h{provider.pk}"
    assert money(s.fam1, s.new).spent_kopecks == 66_666
    assert verify_ledger() == []
    for month in (aug, NEXT_START):
        rec = selectors.reconciliation(vorkuta, month)
        assert rec.ok, (month, rec.checks)


def test_freeze_also_stops_offers_and_acceptances_filed_before_it(vorkuta, operator):
    # freeze_days = 10: frozen from 22 Aug 2027. An application filed on 20 Aug cannot be
    # turned into a contract on 23 Aug, nor an offer made on 21 Aug accepted on 23 Aug.
    s = Setup(vorkuta, operator, freeze_days=10)
    staff = staff_of(s.crossing.module.program.provider)
    with clock.frozen(d(20, 8, 2027)):
        filed = enrolment.apply(
            actor=s.fam3.parent,
            certificate=s.fam3.certificate,
            group=s.crossing,
            copay_agreed=True,
        )
        other = family(vorkuta, operator)
        second = enrolment.apply(
            actor=other.parent, certificate=other.certificate, group=s.ending, copay_agreed=True
        )
    with clock.frozen(d(21, 8, 2027)):
        offer = enrolment.confirm(
            actor=staff_of(s.ending.module.program.provider), application=second
        )
    before = snapshot()
    with clock.frozen(d(23, 8, 2027)):
        with pytest.raises(Conflict) as exc:
            enrolment.confirm(actor=staff, application=filed)
        assert exc.value.code == "period_frozen"
        with pytest.raises(Conflict) as exc:
            enrolment.accept(actor=other.parent, contract=offer)
        assert exc.value.code == "period_frozen"
    assert snapshot() == before
    offer.refresh_from_db()
    assert offer.status == Contract.Status.OFFERED
    assert not Contract.objects.filter(application=filed).exists()
