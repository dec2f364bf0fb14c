"""The rows of the generated enrolment (pfdo/demo/enrolment_generated.py), written once each.

`Rows.save` writes the planned applications, contracts, contract months and reservations in
the order they happened, each in the state the services' transitions leave it in, with the
money through the ledger's batch functions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import F
from django.utils import timezone

from pfdo.catalog.models import Group
from pfdo.common import clock
from pfdo.common.months import month_start
from pfdo.demo import contracts as contracts_demo
from pfdo.enrolment.models import Application, Contract, ContractMonth
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import selectors as ledger_selectors
from pfdo.ledger import services as ledger
from pfdo.ledger.selectors import AccountKind, TransferKind

if TYPE_CHECKING:
    from pfdo.demo.enrolment_generated import _Deal as Deal

BATCH = 2000


class Rows:
    """Writing for the generator, which holds municipality, period, staff and deals."""

    municipality: object
    period: FinancingPeriod
    staff: dict[int, int]
    deals: list

    def save(self) -> None:
        # Rows in the order they happened, so ids and contract numbers grow with time.
        deals = sorted(self.deals, key=lambda d: d.created)
        Application.objects.bulk_create([self._application(d) for d in deals], batch_size=BATCH)
        with_contract = [d for d in deals if d.offered is not None]
        Contract.objects.bulk_create([self._contract(d) for d in with_contract], batch_size=BATCH)
        contracts_demo.number_contracts([d.contract for d in with_contract], self.period)
        reservations = self._reserve([d for d in with_contract if d.accepted is not None])
        ContractMonth.objects.bulk_create(
            [
                ContractMonth(
                    contract_id=d.contract.pk,
                    month=month,
                    certificate_kopecks=part,
                    copay_kopecks=copay,
                    reservation_id=reservations.get(contracts_demo.reserve_key(d.contract, month)),
                )
                for d in with_contract
                for month, part, copay in d.month_parts
            ],
            batch_size=BATCH,
        )
        self._release([d for d in with_contract if d.ended is not None], reservations)
        taken: dict[int, int] = defaultdict(int)
        for d in deals:
            if d.state in Application.HOLDING:
                taken[d.group.pk] += 1
        for group_id, n in sorted(taken.items()):
            Group.objects.filter(pk=group_id).update(seats_taken=F("seats_taken") + n)

    def _application(self, d: Deal) -> Application:
        d.application = Application(
            child_id=d.child.child_id,
            certificate_id=d.child.certificate_id,
            group_id=d.group.pk,
            provider_id=d.group.provider_id,
            municipality=self.municipality,
            parent_id=d.child.parent_id,
            channel=Application.Channel.IN_PERSON if d.in_person else Application.Channel.ONLINE,
            copay_agreed=d.copay or d.in_person,
            created_at=d.created,
            created_by_id=self.staff.get(d.group.provider_id) if d.in_person else d.child.parent_id,
            # The state the planned steps end in (see Deal.state).
            status=d.state,
            reason=d.reason,
            decide_by=d.decide_by,
            decided_at=d.decided_at,
            status_changed_at=d.status_changed_at,
        )
        return d.application

    def _contract(self, d: Deal) -> Contract:
        """The contract of an offer: offered, accepted (active) or ended (terminated), as the
        services' offer, accept and terminate leave it."""
        period, split = self.period, d.split
        if d.ended is not None:
            status = Contract.Status.TERMINATED
        elif d.accepted is not None:
            status = Contract.Status.ACTIVE
        else:
            status = Contract.Status.OFFERED
        d.contract = Contract(
            application_id=d.application.pk,
            child_id=d.child.child_id,
            certificate_id=d.child.certificate_id,
            group_id=d.group.pk,
            provider_id=d.group.provider_id,
            municipality=self.municipality,
            period=period,
            parent_id=d.child.parent_id,
            funding=Contract.Funding.BUDGET if d.group.budget else Contract.Funding.CERTIFICATE,
            starts_on=d.start,
            ends_on=d.group.ends_on,
            price_kopecks=split.price_kopecks,
            normative_kopecks=split.normative_kopecks,
            certificate_kopecks=split.certificate_kopecks,
            copay_kopecks=split.copay_kopecks,
            status=status,
            offered_at=d.offered,
            offer_expires_at=d.offered + dt.timedelta(days=period.offer_days),
            accepted_at=d.accepted,
            ended_at=d.ended,
            terminated_by=d.terminated_by,
            termination_reason=d.reason if d.ended is not None else "",
        )
        return d.contract

    def _reserve(self, deals: list[Deal]) -> dict[str, int]:
        """One pending transfer per contract month, as services._reserve makes them; one
        batch per day of acceptance, stamped with its last acceptance."""
        period = self.period
        certificates = ledger.ensure_accounts(
            kind=AccountKind.CERTIFICATE,
            period=period,
            holder_ids=sorted({d.child.certificate_id for d in deals}),
        )
        providers = ledger.ensure_accounts(
            kind=AccountKind.PROVIDER,
            period=period,
            holder_ids=sorted({d.group.provider_id for d in deals}),
        )
        by_day: dict[dt.date, list[ledger.Entry]] = defaultdict(list)
        stamp: dict[dt.date, dt.datetime] = {}
        keys = []
        for d in deals:
            day = timezone.localdate(d.accepted)
            stamp[day] = max(stamp.get(day, d.accepted), d.accepted)
            for month, part, _ in d.month_parts:
                if part <= 0:
                    continue
                key = contracts_demo.reserve_key(d.contract, month)
                keys.append(key)
                by_day[day].append(
                    ledger.Entry(
                        key=key,
                        kind=TransferKind.RESERVE,
                        debit_id=certificates[d.child.certificate_id].pk,
                        credit_id=providers[d.group.provider_id].pk,
                        amount_kopecks=part,
                        description=contracts_demo.reservation_description(d.contract, month),
                        ref_type="contract",
                        ref_id=d.contract.pk,
                    )
                )
        for day in sorted(by_day):
            with clock.frozen(stamp[day]):
                ledger.post_many(by_day[day], pending=True)
        found: dict[str, int] = {}
        for start in range(0, len(keys), ledger.CHUNK):
            found.update(ledger_selectors.transfer_ids_by_key(keys[start : start + ledger.CHUNK]))
        return found

    def _release(self, deals: list[Deal], reservations: dict[str, int]) -> None:
        """Terminated contracts: the months after the month of termination voided, as
        services._release_reservations does, one batch per day of termination."""
        by_day: dict[dt.date, list[ledger.Resolution]] = defaultdict(list)
        stamp: dict[dt.date, dt.datetime] = {}
        for d in deals:
            day = timezone.localdate(d.ended)
            stamp[day] = max(stamp.get(day, d.ended), d.ended)
            cutoff = month_start(day)
            for month, part, _ in d.month_parts:
                if month <= cutoff or part <= 0:
                    continue
                pending = reservations[contracts_demo.reserve_key(d.contract, month)]
                by_day[day].append(
                    ledger.Resolution(
                        key=f"release:{pending}",
                        pending_id=pending,
                        amount_kopecks=0,
                        description=f"Возврат резерва по договору № {d.contract.number}",
                    )
                )
        for day in sorted(by_day):
            with clock.frozen(stamp[day]):
                ledger.post_pending_many(by_day[day])
