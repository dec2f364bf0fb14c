"""The billing state machine's world and rules: what a random sequence may do (enrol,
terminate, move the clock, build, submit, decide, pay, run the month, mark, close).
The invariants checked after each step, and the tests, are in `test_properties`."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pfdo.billing import calculation as calc
from pfdo.billing import selectors, services
from pfdo.billing.models import (
    AdvanceRequest,
    DocumentStatus,
    Invoice,
    InvoiceLine,
    Payment,
)
from pfdo.billing.tests.factories import (
    approved_period,
    family,
    ready_group,
    signed_contract,
    staff_of,
)
from pfdo.common import clock
from pfdo.common.months import month_end, month_start, next_month
from pfdo.common.tests.machines import NONE, ServiceRules
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.models import Application, Contract
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger.models import Account, Transfer

Status = DocumentStatus
Phase = Transfer.Phase

# The autumn period ends with the year, so a sequence can cross its close: contracts whose
# groups go on continue in the spring period, which pays for attended hours instead.
AUTUMN = (dt.date(2026, 9, 1), dt.date(2026, 12, 31))
SPRING = (dt.date(2027, 1, 1), dt.date(2027, 8, 31))
START = timezone.make_aware(dt.datetime(2026, 12, 7, 10, 0))
FIRST_MONTH = dt.date(2026, 9, 1)
DAY = dt.timedelta(days=1)
STEPS = [2 * DAY, 5 * DAY, 7 * DAY, 14 * DAY, 21 * DAY]
REASON = "Неверные данные договоров"
POOL = 8
INVOICE_AMOUNTS = ("planned", "billed", "advance", "carry_in", "offset", "due", "carry_out", "paid")


class World:
    """Built once per test: two periods, a payer, three groups of two providers (P1 has two),
    three contracts signed in September, October and November, P1's September invoice and
    October advance accepted and partly paid, its November advance accepted; and families
    with certificates ready to enrol."""

    def __init__(self, vorkuta, operator, payer):
        self.municipality = vorkuta
        self.operator = operator
        self.payer = payer
        self.autumn = approved_period(
            vorkuta,
            name="ПФДО осень 2026",
            starts_on=AUTUMN[0],
            ends_on=AUTUMN[1],
            quota=100,  # a financing certificate for every family a sequence enrols
            boundary_month_rule=calc.RULE_PRO_RATA_DAYS,
        )
        self.spring = approved_period(
            vorkuta,
            name="ПФДО весна 2027",
            starts_on=SPRING[0],
            ends_on=SPRING[1],
            quota=100,  # a financing certificate for every family a sequence enrols
            billing_basis=calc.BASIS_ATTENDED_HOURS,
        )
        with clock.frozen(AUTUMN[0]):
            g1 = ready_group(vorkuta, capacity=4, weekday=2)
            p1 = g1.module.program.provider
            g2 = ready_group(vorkuta, provider=p1, capacity=3, weekday=4)
            g3 = ready_group(vorkuta, capacity=4, weekday=3, price=2_700_000)
        self.groups = [g1, g2, g3]
        self.providers = [p1, g3.module.program.provider]
        self.staff = {p.pk: staff_of(p) for p in self.providers}
        _, c1 = signed_contract(vorkuta, operator, g1, on=dt.date(2026, 9, 1))
        with clock.frozen(dt.date(2026, 10, 2)):
            staff = self.staff[p1.pk]
            invoice = services.build_invoice(actor=staff, provider=p1, month=FIRST_MONTH)
            services.submit_invoice(actor=staff, invoice=invoice)
            invoice = services.accept_invoice(actor=payer, invoice=invoice)
            services.record_payment(
                actor=payer,
                document=invoice,
                order_number="W-1",
                paid_on=dt.date(2026, 10, 2),
                amount_kopecks=invoice.due_kopecks // 2,
            )
        with clock.frozen(dt.date(2026, 10, 5)):
            advance = services.build_advance(actor=staff, provider=p1, month=dt.date(2026, 10, 1))
            services.submit_advance(actor=staff, advance=advance)
            advance = services.accept_advance(actor=payer, advance=advance)
            services.record_payment(
                actor=payer,
                document=advance,
                order_number="W-2",
                paid_on=dt.date(2026, 10, 5),
                amount_kopecks=advance.amount_kopecks,
            )
        signed_contract(vorkuta, operator, g3, on=dt.date(2026, 10, 14))
        signed_contract(vorkuta, operator, g2, on=dt.date(2026, 11, 18))
        with clock.frozen(dt.date(2026, 11, 20)):
            # 80% of both November months, while one contract pays 13 days of 30: the
            # November invoice will leave an overpayment for December's.
            advance = services.build_advance(actor=staff, provider=p1, month=dt.date(2026, 11, 1))
            services.submit_advance(actor=staff, advance=advance)
            services.accept_advance(actor=payer, advance=advance)
        assert c1.certificate_kopecks > 0
        # Families with certificates issued on the first day, one per enrolment of a sequence
        # (issuing one is the slow part); a long sequence issues more on its own day.
        with clock.frozen(START):
            self.families = [family(vorkuta, operator) for _ in range(POOL)]
        # What the sequences did, by action and outcome: the test checks they got far.
        self.reached: Counter = Counter()


def months_up_to(today: dt.date) -> list[dt.date]:
    out, month = [], FIRST_MONTH
    while month <= today:
        out.append(month)
        month = next_month(month)
    return out


class BillingRules(ServiceRules):
    """The rules; a subclass adds the invariants and sets `world`."""

    start = START
    world: World

    def __init__(self):
        super().__init__()
        self.orders = 0
        self.families_used = 0
        self.reconciled = None

    def _document(self, model, provider_id: int, month: dt.date):
        return model.objects.filter(provider_id=provider_id, month=month).first()

    def _period(self, month: dt.date) -> FinancingPeriod:
        return FinancingPeriod.objects.get(
            pk=(self.world.autumn if month <= AUTUMN[1] else self.world.spring).pk
        )

    def _staff(self, provider_id: int):
        return self.world.staff[provider_id]

    def _month(self, i: int) -> dt.date:
        months = months_up_to(self.today)
        return months[i % len(months)]

    def _submit_and_decide(self, kind: str, document, how: str):
        """Submit a draft and let the payer decide: accept; reject, rebuild and accept;
        or leave it submitted (undecided) for a later rule."""
        staff = self._staff(document.provider_id)
        submit = services.submit_invoice if kind == "invoice" else services.submit_advance
        accept = services.accept_invoice if kind == "invoice" else services.accept_advance
        reject = services.reject_invoice if kind == "invoice" else services.reject_advance
        build = services.build_invoice if kind == "invoice" else services.build_advance
        arg = {kind: document}
        if how == "draft":
            return
        if not self._do(f"{kind}_submit", lambda: submit(actor=staff, **arg)):
            return
        if how == "submitted":
            return
        if how == "reject_rebuild":
            rejected = self._do(
                f"{kind}_reject", lambda: reject(actor=self.world.payer, reason=REASON, **arg)
            )
            assert rejected.status == Status.REJECTED
            # The provider fixes the data and builds it again: a fresh draft.
            rebuilt = self._do(
                f"{kind}_rebuild",
                lambda: build(
                    actor=staff,
                    provider=document.provider,
                    month=document.month,
                ),
                # An advance of a month that has ended meanwhile is not rebuilt.
                allowed={"month_over": lambda: self.today > month_end(document.month)}
                if kind == "advance"
                else NONE,
            )
            if rebuilt is None:
                return
            assert rebuilt.pk == document.pk and rebuilt.status == Status.DRAFT
            arg = {kind: rebuilt}
            if not self._do(f"{kind}_submit", lambda: submit(actor=staff, **arg)):
                return
        accepted = self._do(f"{kind}_accept", lambda: accept(actor=self.world.payer, **arg))
        assert accepted.status == Status.ACCEPTED

    # -- what people do -----------------------------------------------------------------

    @rule(g=st.integers(0, 2))
    def enrol(self, g):
        """A family not enrolled yet applies, the provider confirms, the parent accepts,
        all today."""
        group = self.world.groups[g]
        if self.families_used < POOL:
            fam = self.world.families[self.families_used]
        else:
            with clock.frozen(self.now):
                fam = family(self.world.municipality, self.world.operator)
        self.families_used += 1
        application = self._do(
            "apply",
            lambda: enrolment.apply(
                actor=fam.parent,
                certificate=fam.certificate,
                group=group,
                copay_agreed=True,
            ),
        )
        if application.status == Application.Status.WAITLISTED:
            self.world.reached["apply:waitlisted"] += 1
            return
        staff = self._staff(group.module.program.provider_id)
        offer = self._do("confirm", lambda: enrolment.confirm(actor=staff, application=application))
        contract = self._do("accept", lambda: enrolment.accept(actor=fam.parent, contract=offer))
        assert contract.status == Contract.Status.ACTIVE

    @rule(i=st.integers(0, 20))
    def terminate(self, i):
        active = list(Contract.objects.filter(status=Contract.Status.ACTIVE).order_by("pk"))
        if not active:
            return
        contract = active[i % len(active)]
        ended = self._do(
            "terminate",
            lambda: enrolment.terminate(actor=contract.parent, contract=contract),
        )
        assert ended.status == Contract.Status.TERMINATED

    @rule()
    def a_day_passes(self):
        self.time_passes(DAY)

    @rule(step=st.sampled_from(STEPS))
    def time_passes(self, step):
        self.now += step
        with clock.frozen(self.now):
            done = enrolment.run_deadlines()
        self.world.reached["completed"] += done.contracts_completed

    @rule(
        p=st.integers(0, 1),
        how=st.sampled_from(["accept", "accept", "reject_rebuild", "submitted", "draft"]),
    )
    def advance_for_this_month(self, p, how):
        provider = self.world.providers[p]
        month = month_start(self.today)
        advance = self._do(
            "advance_build",
            lambda: services.build_advance(
                actor=self._staff(provider.pk), provider=provider, month=month
            ),
            allowed={
                "advance_too_early": lambda: (
                    self.today < services.advance_opens_on(self._period(month), month)
                ),
                # December is invoiced within December.
                "invoice_exists": lambda: self._document(Invoice, provider.pk, month),
                "advance_exists": lambda: (
                    self._document(AdvanceRequest, provider.pk, month).status
                    in (Status.SUBMITTED, Status.ACCEPTED, Status.WITHDRAWN)
                ),
            },
        )
        if advance is not None:
            assert advance.amount_kopecks == calc.advance_amount(
                advance.base_kopecks, advance.share_percent
            )
            self._submit_and_decide("advance", advance, how)

    @rule(
        p=st.integers(0, 1),
        m=st.integers(0, 11),
        how=st.sampled_from(["accept", "accept", "reject_rebuild", "submitted", "draft"]),
    )
    def invoice_for_a_month(self, p, m, how):
        provider = self.world.providers[p]
        month = self._month(m)
        invoice = self._do(
            "invoice_build",
            lambda: services.build_invoice(
                actor=self._staff(provider.pk), provider=provider, month=month
            ),
            allowed={
                "month_not_ended": lambda: (
                    self.today < services.invoice_opens_on(self._period(month), month)
                ),
                "advance_undecided": lambda: (
                    self._document(AdvanceRequest, provider.pk, month).status == Status.SUBMITTED
                ),
                "invoice_exists": lambda: (
                    self._document(Invoice, provider.pk, month).status
                    in (Status.SUBMITTED, Status.ACCEPTED)
                ),
                "previous_period_open": lambda: (
                    month > AUTUMN[1]
                    and self._period(FIRST_MONTH).status != FinancingPeriod.Status.CLOSED
                ),
            },
        )
        if invoice is not None:
            self._submit_and_decide("invoice", invoice, how)

    @rule(i=st.integers(0, 20))
    def provider_submits(self, i):
        """A draft (built by the month run, or left as a draft) goes to the payer."""
        drafts = [
            *AdvanceRequest.objects.filter(status=Status.DRAFT),
            *Invoice.objects.filter(status=Status.DRAFT),
        ]
        if not drafts:
            return
        document = sorted(drafts, key=lambda d: (d.month, type(d).__name__, d.pk))[i % len(drafts)]
        kind = "invoice" if isinstance(document, Invoice) else "advance"
        submit = services.submit_invoice if kind == "invoice" else services.submit_advance
        self._do(
            f"{kind}_submit",
            lambda: submit(actor=self._staff(document.provider_id), **{kind: document}),
        )

    @rule(i=st.integers(0, 20), accept=st.booleans())
    def payer_decides(self, i, accept):
        """A document left submitted is accepted or rejected."""
        waiting = [
            *AdvanceRequest.objects.filter(status=Status.SUBMITTED),
            *Invoice.objects.filter(status=Status.SUBMITTED),
        ]
        if not waiting:
            return
        document = sorted(waiting, key=lambda d: (d.month, type(d).__name__, d.pk))[
            i % len(waiting)
        ]
        kind = "invoice" if isinstance(document, Invoice) else "advance"
        if accept:
            decide = services.accept_invoice if kind == "invoice" else services.accept_advance
            result = self._do(
                f"{kind}_accept", lambda: decide(actor=self.world.payer, **{kind: document})
            )
            assert result.status == Status.ACCEPTED
        else:
            decide = services.reject_invoice if kind == "invoice" else services.reject_advance
            result = self._do(
                f"{kind}_reject",
                lambda: decide(actor=self.world.payer, reason=REASON, **{kind: document}),
            )
            assert result.status == Status.REJECTED

    @rule(i=st.integers(0, 20), share=st.integers(1, 100), over=st.booleans())
    def payer_pays(self, i, share, over):
        """A payment order for part (or all) of what an accepted document still owes; or,
        `over`, for more than it owes: refused, and nothing is written."""
        accepted = sorted(
            [
                *AdvanceRequest.objects.filter(status=Status.ACCEPTED),
                *Invoice.objects.filter(status=Status.ACCEPTED),
            ],
            key=lambda d: (d.month, type(d).__name__, d.pk),
        )
        owing = [d for d in accepted if d.payable_kopecks > d.paid_kopecks]
        candidates = accepted if over else owing
        if not candidates:
            return
        document = candidates[i % len(candidates)]
        owed = document.payable_kopecks - document.paid_kopecks
        self.orders += 1
        call = {
            "actor": self.world.payer,
            "document": document,
            "order_number": f"{self.orders}",
            "paid_on": self.today,
        }
        if over:
            before = (Payment.objects.count(), Transfer.objects.count())
            refused = self._do(
                "overpay",
                lambda: services.record_payment(
                    amount_kopecks=owed + max(1, owed * share // 100), **call
                ),
                allowed={"overpayment": lambda: True},
            )
            assert refused is None
            document.refresh_from_db()
            assert document.payable_kopecks - document.paid_kopecks == owed
            assert (Payment.objects.count(), Transfer.objects.count()) == before
            return
        amount = max(1, owed * share // 100)
        payment = self._do("pay", lambda: services.record_payment(amount_kopecks=amount, **call))
        document.refresh_from_db()
        assert document.paid_kopecks == document.payable_kopecks - owed + amount
        assert Transfer.objects.get(pk=payment.transfer_id).amount_kopecks == amount

    @rule(m=st.integers(0, 11))
    def month_run_twice(self, m):
        """The payer's month button pressed twice: the second run builds nothing."""
        month = self._month(m)
        run = lambda: services.bill_month(  # noqa: E731
            actor=self.world.payer, municipality=self.world.municipality, month=month
        )
        first = self._do(
            "bill_month",
            run,
            allowed={
                "advance_too_early": lambda: (
                    self.today < services.advance_opens_on(self._period(month), month)
                )
            },
        )
        if first is None:
            return
        counts = (
            AdvanceRequest.objects.filter(month=month).count(),
            Invoice.objects.filter(month=month).count(),
            InvoiceLine.objects.filter(invoice__month=month).count(),
        )
        second = self._do("bill_month", run)
        assert second.advances_built == second.invoices_built == 0
        assert second.already_there + len(second.refused) == second.providers
        assert counts == (
            AdvanceRequest.objects.filter(month=month).count(),
            Invoice.objects.filter(month=month).count(),
            InvoiceLine.objects.filter(invoice__month=month).count(),
        )
        self.world.reached["bill_month:built"] += first.advances_built + first.invoices_built

    @rule(g=st.integers(0, 2), back=st.integers(0, 40), marks=st.lists(st.booleans()))
    def journal(self, g, back, marks):
        """The teacher marks a lesson held in the last weeks (the spring pays for it)."""
        group = self.world.groups[g]
        day = self.today - dt.timedelta(days=back)
        lessons = [
            lesson
            for lesson in services.ensure_lessons(group=group, month=day)
            if lesson.held_on <= self.today
        ]
        if not lessons:
            return
        lesson = lessons[back % len(lessons)]
        month = month_start(lesson.held_on)
        in_force = [
            c.pk
            for c in Contract.objects.filter(group=group).order_by("pk")
            if (w := selectors.active_window(c, month)) and w[0] <= lesson.held_on <= w[1]
        ]
        if not in_force:
            return
        present = {pk: marks[n % len(marks)] if marks else True for n, pk in enumerate(in_force)}
        self._do(
            "mark",
            lambda: services.mark_attendance(
                actor=self._staff(group.module.program.provider_id),
                lesson=lesson,
                marks=present,
            ),
            allowed={
                "month_invoiced": lambda: Invoice.objects.filter(
                    provider=group.module.program.provider_id,
                    month=month,
                    status__in=[Status.SUBMITTED, Status.ACCEPTED],
                ).exists()
            },
        )

    @precondition(lambda self: timezone.localdate(self.now) > AUTUMN[1] - 7 * DAY)
    @rule()
    def close_autumn(self):
        closing = self._do(
            "close",
            lambda: services.close_period(actor=self.world.operator, period=self.world.autumn),
            allowed={"period_not_ended": lambda: self.today <= AUTUMN[1]},
        )
        if closing is not None:
            assert closing.finished_at is not None
            assert closing.next_period_id == self.world.spring.pk
            period = FinancingPeriod.objects.get(pk=self.world.autumn.pk)
            assert period.status == FinancingPeriod.Status.CLOSED
            # Nothing unreserved is left on an autumn certificate.
            for account in Account.objects.filter(
                kind=Account.Kind.CERTIFICATE, period=self.world.autumn
            ):
                assert account.available_kopecks == 0
            self.world.reached["continued"] += closing.continued_contracts

    # -- what must always hold ----------------------------------------------------------
    # Few queries per check (aggregates, no per-row look-ups): they run after every step.
