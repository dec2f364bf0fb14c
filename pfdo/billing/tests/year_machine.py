"""The whole-year state machine's world and rules (issue 12): certificates issued, enrolled,
cancelled and expiring at 18, a provider excluded, every month billed (December within
December, corrected in January), the next period approved or not, the close. The invariants
checked after each step, and the tests, are in `test_year_properties`."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pfdo.billing import calculation as calc
from pfdo.billing import checks as billing_checks
from pfdo.billing import services
from pfdo.billing.models import AdvanceRequest, DocumentStatus, Invoice
from pfdo.billing.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.months import month_start, next_month, previous_month
from pfdo.common.tests.machines import ServiceRules
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.models import Application, ContinuationOffer, Contract
from pfdo.financing import services as financing
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.providers import services as providers
from pfdo.providers.models import Provider

Status = DocumentStatus

THIS_YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
NEXT_YEAR = (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
START = timezone.make_aware(dt.datetime(2026, 9, 1, 10, 0))
DAY = dt.timedelta(days=1)
NOMINAL = 2_417_100
FAMILIES = 6
# The families whose certificates a sequence may cancel (the others stay to be billed).
CANCELLABLE = (1, 4)
# Born 15.11.2008: the certificate is valid to 14.11.2026 and expires during a sequence.
TURNS_18 = dt.date(2008, 11, 15)
ANY = lambda: True  # noqa: E731  a refusal whose reason the invariants judge instead


class World:
    """Built once per test: this year's period (quota 4 of 6 families, pro rata by days),
    next year's period as a draft with a smaller quota, two providers with three groups (two
    run September to May, across the boundary), six families with certificates (one child
    turns 18 in November)."""

    def __init__(self, vorkuta, operator, payer):
        self.municipality = vorkuta
        self.operator = operator
        self.payer = payer
        self.this_year = approved_period(
            vorkuta,
            name="ПФДО 2026",
            starts_on=THIS_YEAR[0],
            ends_on=THIS_YEAR[1],
            quota=4,
            boundary_month_rule=calc.RULE_PRO_RATA_DAYS,
        )
        self.next_year = FinancingPeriodFactory(
            municipality=vorkuta,
            name="ПФДО 2027",
            starts_on=NEXT_YEAR[0],
            ends_on=NEXT_YEAR[1],
            status=FinancingPeriod.Status.DRAFT,
            certificate_quota=3,
            budget_kopecks=3 * NOMINAL,
            scale_nominal_by_months=False,
        )
        NominalCategoryFactory(period=self.next_year, nominal_kopecks=NOMINAL)
        ages = {"age_from_months": 5 * 12, "age_to_months": 18 * 12}
        crossing = {"starts_on": dt.date(2026, 9, 1), "ends_on": dt.date(2027, 5, 31), **ages}
        with clock.frozen(START):
            g0 = ready_group(vorkuta, capacity=3, weekday=1, **crossing)
            p1 = g0.module.program.provider
            g1 = ready_group(
                vorkuta,
                provider=p1,
                capacity=3,
                weekday=3,
                price=800_000,
                starts_on=dt.date(2026, 9, 1),
                ends_on=dt.date(2026, 12, 31),
                **ages,
            )
            g2 = ready_group(vorkuta, capacity=3, weekday=5, **crossing)
            self.families = [
                family(
                    vorkuta, operator, birth_date=TURNS_18 if i == 0 else dt.date(2015, 3, i + 1)
                )
                for i in range(FAMILIES)
            ]
        self.groups = [g0, g1, g2]
        self.providers = [p1, g2.module.program.provider]
        self.staff = {p.pk: staff_of(p) for p in self.providers}
        # What the sequences did, by action and outcome: the test checks they got far.
        self.reached: Counter = Counter()


class YearRules(ServiceRules):
    """The rules; a subclass adds the invariants and sets `world`."""

    start = START
    world: World

    def __init__(self):
        super().__init__()
        self.excluded = None

    def _certificate(self, f: int) -> Certificate:
        return Certificate.objects.get(pk=self.world.families[f].certificate.pk)

    def _provider(self, p: int) -> Provider:
        return Provider.objects.get(pk=self.world.providers[p].pk)

    def _period(self, pk: int) -> FinancingPeriod:
        return FinancingPeriod.objects.get(pk=pk)

    # -- families -----------------------------------------------------------------------

    @rule(f=st.integers(0, FAMILIES - 1), g=st.integers(0, 2))
    def enrol(self, f, g):
        """A family applies, the provider confirms, the parent accepts — the same day; if
        the terms changed since the offer, the parent reads the new ones and agrees."""
        fam, group = self.world.families[f], self.world.groups[g]
        certificate = self._certificate(f)
        provider = self._provider(0 if g < 2 else 1)
        next_year = self._period(self.world.next_year.pk)
        ended = lambda: certificate.status != Certificate.Status.ACTIVE  # noqa: E731
        out = lambda: provider.status != Provider.Status.ACTIVE  # noqa: E731
        application = self._do(
            "apply",
            lambda: enrolment.apply(
                actor=fam.parent, certificate=certificate, group=group, copay_agreed=True
            ),
            allowed={
                "certificate_not_active": ended,
                "certificate_type_mismatch": lambda: (
                    certificate.type == Certificate.Type.ACCOUNTING
                ),
                "provider_not_active": out,
                "already_applied": lambda: Application.objects.filter(
                    certificate=certificate, group=group, status__in=Application.HOLDING
                ).exists(),
                "group_finished": lambda: self.today > group.ends_on,
                "certificate_ends": lambda: (
                    certificate.valid_until < max(self.today, group.starts_on)
                ),
                "period_not_approved": lambda: (
                    self.today > THIS_YEAR[1] and next_year.status == FinancingPeriod.Status.DRAFT
                ),
                # Today falls in next year's period while it is still a draft.
                "no_period": lambda: (
                    self.today > THIS_YEAR[1] and next_year.status == FinancingPeriod.Status.DRAFT
                ),
                "period_frozen": ANY,
            },
        )
        if application is None or application.status == Application.Status.WAITLISTED:
            return
        staff = self.world.staff[provider.pk]
        offer = self._do(
            "confirm",
            lambda: enrolment.confirm(actor=staff, application=application),
            allowed={"period_frozen": ANY},
        )
        if offer is None:
            return
        contract = self._do(
            "accept",
            lambda: enrolment.accept(actor=fam.parent, contract=offer),
            allowed={"terms_changed": ANY, "period_frozen": ANY},
        )
        if contract is None and self.world.reached["accept:terms_changed"]:
            with clock.frozen(self.now):
                shown = enrolment.acceptance_terms(actor=fam.parent, contract=offer)
            if shown.terms is not None:
                contract = self._do(
                    "accept_agreed",
                    lambda: enrolment.accept(
                        actor=fam.parent, contract=offer, copay_kopecks=shown.terms.copay_kopecks
                    ),
                )
        if contract is not None:
            assert contract.status == Contract.Status.ACTIVE
            # A contract starts no earlier than its acceptance (scenario 3).
            assert contract.starts_on >= self.today

    @rule(i=st.integers(0, 20), accept=st.booleans())
    def family_decides_continuation(self, i, accept):
        """A continuation on worse terms, offered at the close, is accepted or declined."""
        offers = list(
            ContinuationOffer.objects.filter(status=ContinuationOffer.Status.OFFERED).order_by("pk")
        )
        if not offers:
            return
        offer = offers[i % len(offers)]
        parent = offer.contract.parent
        decide = enrolment.accept_continuation if accept else enrolment.decline_continuation
        self._do(
            "continuation_" + ("accept" if accept else "decline"),
            lambda: decide(actor=parent, offer=offer),
            allowed={"continuation_expired": lambda: offer.expires_at < self.now},
        )

    @rule(i=st.integers(0, 20))
    def parent_terminates(self, i):
        active = list(Contract.objects.filter(status=Contract.Status.ACTIVE).order_by("pk"))
        if active:
            contract = active[i % len(active)]
            ended = self._do(
                "terminate", lambda: enrolment.terminate(actor=contract.parent, contract=contract)
            )
            assert ended.status == Contract.Status.TERMINATED

    @rule(f=st.sampled_from(CANCELLABLE))
    def operator_cancels_certificate(self, f):
        certificate = self._certificate(f)
        done = self._do(
            "cancel",
            lambda: certificate_services.cancel_certificate(
                actor=self.world.operator, certificate=certificate, reason="Семья переехала"
            ),
            allowed={"conflict": lambda: certificate.status not in Certificate.LIVE},
        )
        if done is not None:
            assert not Contract.objects.filter(
                certificate=certificate,
                status__in=[Contract.Status.ACTIVE, Contract.Status.OFFERED],
            ).exists()

    # -- operator -----------------------------------------------------------------------

    @precondition(lambda self: not self.excluded)
    @rule(terminate=st.booleans(), later=st.integers(0, 40))
    def operator_excludes_provider(self, terminate, later):
        provider = self._provider(1)
        self.excluded = self._do(
            "exclude",
            lambda: providers.exclude(
                actor=self.world.operator,
                provider=provider,
                reason="Нарушение условий",
                contracts="terminate" if terminate else "run_to_end",
                terminate_on=self.today + later * DAY if terminate else None,
            ),
        )

    @precondition(
        lambda self: FinancingPeriod.objects.filter(
            pk=self.world.next_year.pk, status=FinancingPeriod.Status.DRAFT
        ).exists()
    )
    @rule()
    def operator_approves_next_year(self):
        period = self._period(self.world.next_year.pk)
        self._do(
            "approve",
            lambda: financing.approve_period(actor=self.world.operator, period=period),
        )

    @precondition(
        lambda self: (
            timezone.localdate(self.now) > THIS_YEAR[1]
            and not FinancingPeriod.objects.filter(
                pk=self.world.this_year.pk, status=FinancingPeriod.Status.CLOSED
            ).exists()
        )
    )
    @rule()
    def operator_closes_this_year(self):
        period = self._period(self.world.this_year.pk)
        closing = self._do(
            "close",
            lambda: services.close_period(actor=self.world.operator, period=period),
            allowed={
                "next_period_not_approved": lambda: (
                    self._period(self.world.next_year.pk).status == FinancingPeriod.Status.DRAFT
                ),
                "period_closed": lambda: period.status == FinancingPeriod.Status.CLOSED,
                # A late month not billed yet: the close waits for its supplementary invoice.
                "reservations_unbilled": lambda: bool(
                    billing_checks.stuck_rows(self.world.municipality.pk)
                ),
            },
        )
        if closing is not None:
            assert self._period(self.world.this_year.pk).status == FinancingPeriod.Status.CLOSED

    # -- time ---------------------------------------------------------------------------

    @rule(to=st.sampled_from(["tomorrow", "the 2nd", "the 16th", "a month on"]))
    def time_passes(self, to):
        """Time moves to tomorrow, the next 2nd or 16th of a month, or a month on, and
        each day's jobs run once at the end: deadlines (and the exclusion's terminations),
        expiry at 18, the nominals of a period that has begun."""
        today = self.today
        if to == "tomorrow":
            day = today + DAY
        elif to == "a month on":
            day = next_month(today) + (today - month_start(today))
        else:
            day = today.replace(day=2 if to == "the 2nd" else 16)
            if day <= today:
                day = next_month(today).replace(day=day.day)
        self.step_to(day)

    def step_to(self, day: dt.date) -> None:
        self.now += (day - self.today) * 1
        with clock.frozen(self.now):
            done = enrolment.run_deadlines()
            expired = certificate_services.expire_certificates()
            for period in FinancingPeriod.objects.filter(
                status=FinancingPeriod.Status.APPROVED, starts_on__lte=self.today
            ):
                certificate_services.grant_period_nominals(actor=None, period=period)
        self.world.reached["expired"] += expired
        self.world.reached["completed"] += done.contracts_completed

    # -- billing ------------------------------------------------------------------------

    @rule(this_month=st.booleans())
    def month_billed_and_accepted(self, this_month):
        """The payer runs the month (last month's invoices, this month's advances; December
        within December), providers submit every draft, the payer accepts every document."""
        month = month_start(self.today) if this_month else previous_month(self.today)
        self._do(
            "bill_month",
            lambda: services.bill_month(
                actor=self.world.payer, municipality=self.world.municipality, month=month
            ),
            allowed={"advance_too_early": ANY, "no_period": ANY, "period_closed": ANY},
        )
        for model, submit, accept in (
            (AdvanceRequest, services.submit_advance, services.accept_advance),
            (Invoice, services.submit_invoice, services.accept_invoice),
        ):
            kind = "advance" if model is AdvanceRequest else "invoice"
            for document in model.objects.filter(status=Status.DRAFT).order_by("month", "pk"):
                self._do(
                    f"{kind}_submit",
                    lambda d=document, submit=submit, kind=kind: submit(
                        actor=self.world.staff[d.provider_id], **{kind: d}
                    ),
                )
            for document in model.objects.filter(status=Status.SUBMITTED).order_by("month", "pk"):
                self._do(
                    f"{kind}_accept",
                    lambda d=document, accept=accept, kind=kind: accept(
                        actor=self.world.payer, **{kind: d}
                    ),
                )
