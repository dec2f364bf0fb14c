"""A certificate that ends ends its contracts (issue 12, scenarios 1 and 2; domain.md §4):
cancelled or expired at 18, its contracts are terminated on its last day, the unbilled months
released and returned to the budget with the rest of its money, its applications and offers
closed, the family and the provider told; no invoice charges a month after that day."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from pfdo.accounts.models import Notification
from pfdo.billing import services as billing
from pfdo.billing.tests.factories import signed_contract
from pfdo.billing.tests.services_world import MONTH, NOMINAL, accepted_invoice
from pfdo.catalog.models import Group
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificates
from pfdo.certificates.models import Certificate, Child
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.ledger import selectors as ledger_selectors
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import TransferKind, verify_ledger

pytestmark = pytest.mark.django_db

SEP, OCT, NOV, DEC = (dt.date(2026, m, 1) for m in (9, 10, 11, 12))
FEB = dt.date(2027, 2, 1)
TEENS = {"age_from_months": 12 * 12, "age_to_months": 18 * 12}  # a programme for 12–17


def invoice_for(provider, month, on):
    """The provider's invoice for `month`, built on `on` (after the month, as usual)."""
    with clock.frozen(on):
        return billing.build_invoice(actor=staff_of(provider), provider=provider, month=month)


def open_reservation_months(contract) -> list[dt.date]:
    """The contract's months whose reservation is still open (neither charged nor released)."""
    months = list(contract.months.filter(reservation_id__isnull=False).order_by("month"))
    still = ledger_selectors.unresolved_pending_ids([m.reservation_id for m in months])
    return [m.month for m in months if m.reservation_id in still]


def returned_to_budget(certificate) -> int:
    return sum(
        Transfer.objects.filter(
            kind=TransferKind.REVOKE, ref_type="certificate", ref_id=certificate.pk
        ).values_list("amount_kopecks", flat=True)
    )


def test_year_01_cancelled_certificate_stops_paying_provider(vorkuta, operator):
    """Contract from 1 September reserves 9 × 2 000 ₽; the operator cancels the certificate on
    10 October (the family moved): the contract ends that day, November–May are released and
    go back to the budget, and February's invoice no longer bills it."""
    period = approved_period(vorkuta)
    group = ready_group(vorkuta, price=1_800_000, normative=2_000_000)
    provider = group.module.program.provider
    moved, contract = signed_contract(vorkuta, operator, group)
    _stays, other = signed_contract(vorkuta, operator, group)
    assert contract.months.count() == 9 and contract.certificate_kopecks == 9 * MONTH
    staff = staff_of(provider)

    with clock.frozen(dt.date(2026, 10, 10)):
        certificates.cancel_certificate(
            actor=operator, certificate=moved.certificate, reason="Семья переехала"
        )

    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert contract.terminated_by == Contract.TerminatedBy.OPERATOR
    assert "аннулирован: Семья переехала" in contract.termination_reason
    assert timezone.localdate(contract.ended_at) == dt.date(2026, 10, 10)
    assert contract.application.status == Application.Status.TERMINATED
    assert Group.objects.get(pk=group.pk).seats_taken == 1  # the other child's place only
    # September and October stay reserved for their invoices; November–May were released,
    # and with the rest of the certificate's money they went back to the budget.
    assert open_reservation_months(contract) == [SEP, OCT]
    money = certificate_selectors.balance(moved.certificate, period)
    assert money.reserved_kopecks == 2 * MONTH and money.available_kopecks == 0
    assert returned_to_budget(moved.certificate) == NOMINAL - 2 * MONTH
    # The family and the provider's staff are told.
    family_notes = Notification.objects.filter(user=moved.parent, subject__contains="расторгнут")
    assert family_notes.count() == 1 and "10.10.2026" in family_notes.get().body
    staff_note = Notification.objects.get(user=staff, subject__contains="расторгнут")
    assert "аннулирован" in staff_note.body and contract.number in staff_note.subject

    # October is billed (in full: the period's rule, the contract was in force on days of
    # it); February bills the child who stayed and not the one who left.
    october = invoice_for(provider, OCT, dt.date(2026, 11, 2))
    assert {line.contract_id: line.billed_kopecks for line in october.lines.all()} == {
        contract.pk: MONTH,
        other.pk: MONTH,
    }
    february = invoice_for(provider, FEB, dt.date(2027, 3, 2))
    assert [line.contract_id for line in february.lines.all()] == [other.pk]
    assert february.lines.get().billed_kopecks == MONTH

    # Cancelling again changes nothing.
    transfers = Transfer.objects.count()
    with pytest.raises(Conflict):
        certificates.cancel_certificate(
            actor=operator, certificate=moved.certificate, reason="Семья переехала"
        )
    assert services.end_certificate_contracts(
        actor=operator,
        certificate=Certificate.objects.get(pk=moved.certificate.pk),
        on=dt.date(2026, 10, 10),
        reason="повтор",
    ) == {"applications": 0, "offers": 0, "terminated": 0, "completed": 0}
    assert Transfer.objects.count() == transfers
    assert verify_ledger() == []


def test_cancelling_ends_the_certificates_applications_and_offers(vorkuta, operator):
    """A pending application, an offer and a contract not yet begun: all end at once; the
    contract releases everything and the places go to the next in line."""
    approved_period(vorkuta)
    fam = family(vorkuta, operator)
    cheap = {"price": 600_000, "normative": 600_000}
    later = ready_group(vorkuta, weekday=1, starts_on=dt.date(2027, 1, 11), **cheap)
    offered = ready_group(vorkuta, weekday=3, **cheap)
    waiting = ready_group(vorkuta, weekday=4, **cheap)
    with clock.frozen(dt.date(2026, 11, 20)):
        signed = services.confirm(
            actor=staff_of(later.module.program.provider),
            application=services.apply(actor=fam.parent, certificate=fam.certificate, group=later),
        )
        services.accept(actor=fam.parent, contract=signed)
        offer = services.confirm(
            actor=staff_of(offered.module.program.provider),
            application=services.apply(
                actor=fam.parent, certificate=fam.certificate, group=offered
            ),
        )
        pending = services.apply(actor=fam.parent, certificate=fam.certificate, group=waiting)
    with clock.frozen(dt.date(2026, 12, 3)):
        certificates.cancel_certificate(
            actor=operator, certificate=fam.certificate, reason="Дубликат"
        )
    signed.refresh_from_db()
    offer.refresh_from_db()
    pending.refresh_from_db()
    assert signed.status == Contract.Status.TERMINATED
    assert open_reservation_months(signed) == []  # not begun: everything released
    assert offer.status == Contract.Status.EXPIRED
    assert "аннулирован" in offer.application.reason
    assert pending.status == Application.Status.EXPIRED and "аннулирован" in pending.reason
    for group in (later, offered, waiting):
        assert Group.objects.get(pk=group.pk).seats_taken == 0
    money = certificate_selectors.balance(fam.certificate, signed.period)
    assert money.reserved_kopecks == 0 and money.available_kopecks == 0
    assert returned_to_budget(fam.certificate) == NOMINAL
    assert Notification.objects.filter(
        user=fam.parent, subject__startswith="Предложение договора"
    ).exists()
    assert verify_ledger() == []


def test_cancelled_in_december_after_decembers_invoice(vorkuta, operator, make_user):
    """December invoiced within December and accepted; the certificate is cancelled on
    10 December: December stays charged, January–May are released and returned."""
    period = approved_period(vorkuta)
    group = ready_group(vorkuta)
    provider = group.module.program.provider
    fam, contract = signed_contract(vorkuta, operator, group)
    payer = make_user("payer", municipality=vorkuta)
    staff = staff_of(provider)
    for month, day in ((SEP, dt.date(2026, 10, 1)), (OCT, dt.date(2026, 11, 2))):
        accepted_invoice(staff, payer, provider, month=month, on=day)
    accepted_invoice(staff, payer, provider, month=NOV, on=dt.date(2026, 12, 1))
    accepted_invoice(staff, payer, provider, month=DEC, on=dt.date(2026, 12, 3))
    with clock.frozen(dt.date(2026, 12, 10)):
        certificates.cancel_certificate(actor=operator, certificate=fam.certificate, reason="Отказ")
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert open_reservation_months(contract) == []
    money = certificate_selectors.balance(fam.certificate, period)
    assert money.spent_kopecks == 4 * MONTH and money.reserved_kopecks == 0
    assert returned_to_budget(fam.certificate) == NOMINAL - 4 * MONTH
    assert verify_ledger() == []


def test_a_suspended_certificate_keeps_its_contracts(vorkuta, operator):
    approved_period(vorkuta)
    group = ready_group(vorkuta)
    fam, contract = signed_contract(vorkuta, operator, group)
    with clock.frozen(dt.date(2026, 10, 10)):
        certificates.suspend_certificate(
            actor=operator, certificate=fam.certificate, reason="Проверка документов"
        )
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE
    assert len(open_reservation_months(contract)) == 9


def _child_turning_18_on_15_november(fam) -> None:
    """The child was born 15.11.2008: the certificate is valid until 14.11.2026.

    The contract is signed first with a later birth date and the card corrected afterwards
    (the operator fixes a typo), so the contract runs September–May as the contracts signed
    before terms were clipped to the certificate's validity do.
    """
    Child.objects.filter(pk=fam.certificate.child_id).update(birth_date=dt.date(2008, 11, 15))
    Certificate.objects.filter(pk=fam.certificate.pk).update(valid_until=dt.date(2026, 11, 14))


def test_year_02_expired_certificate_ends_contracts(vorkuta, operator, make_user):
    """Born 15.11.2008, enrolled 1 September for September–May; the daily job runs one day
    late, on 16 November: the contract ends on 14 November (the last valid day), November is
    billed pro rata up to that day, nothing after it, and December–May go back to the budget.
    """
    period = approved_period(vorkuta, boundary_month_rule="pro_rata_days")
    group = ready_group(vorkuta, **TEENS)
    provider = group.module.program.provider
    fam, contract = signed_contract(vorkuta, operator, group, birth_date=dt.date(2010, 11, 15))
    assert contract.ends_on == dt.date(2027, 5, 31)
    _child_turning_18_on_15_november(fam)
    staff = staff_of(provider)

    with clock.frozen(dt.date(2026, 11, 16)):
        call_command("expire_certificates", "--date", "2026-11-16", stdout=io.StringIO())
    certificate = Certificate.objects.get(pk=fam.certificate.pk)
    assert certificate.status == Certificate.Status.EXPIRED
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert contract.terminated_by == Contract.TerminatedBy.OPERATOR
    assert "18 лет" in contract.termination_reason
    assert timezone.localdate(contract.ended_at) == dt.date(2026, 11, 14)
    assert open_reservation_months(contract) == [SEP, OCT, NOV]
    money = certificate_selectors.balance(certificate, period)
    assert money.reserved_kopecks == 3 * MONTH and money.available_kopecks == 0
    assert returned_to_budget(certificate) == NOMINAL - 3 * MONTH
    assert Notification.objects.filter(user=staff, subject__contains="расторгнут").exists()
    assert "14.11.2026" in (
        Notification.objects.filter(user=fam.parent, subject__contains="расторгнут").get().body
    )

    payer = make_user("payer", municipality=vorkuta)
    november = accepted_invoice(staff, payer, provider, month=NOV, on=dt.date(2026, 12, 1))
    line = november.lines.get(contract=contract)
    assert (line.active_from, line.active_to) == (NOV, dt.date(2026, 11, 14))
    assert line.billed_kopecks == MONTH * 14 // 30
    # The rest of November's reservation does not wait on the dead certificate for the close:
    # it goes back to the budget when the invoice is accepted.
    money = certificate_selectors.balance(certificate, period)
    assert (money.reserved_kopecks, money.available_kopecks) == (2 * MONTH, 0)  # Sep, Oct
    assert Transfer.objects.filter(
        kind=TransferKind.LAPSE,
        key__endswith=f":i{november.pk}",
        amount_kopecks=MONTH - MONTH * 14 // 30,
    ).exists()
    for month, day in ((DEC, dt.date(2027, 1, 11)), (dt.date(2027, 3, 1), dt.date(2027, 4, 1))):
        assert not invoice_for(provider, month, day).lines.filter(contract=contract).exists()

    # The job run again creates nothing.
    transfers = Transfer.objects.count()
    assert certificates.expire_certificates(today=dt.date(2026, 11, 17)) == 0
    assert Transfer.objects.count() == transfers
    assert verify_ledger() == []


def test_expiry_ends_a_contract_that_ends_that_day_by_completing_it(vorkuta, operator):
    """A contract whose own end is the certificate's last day is completed, not terminated."""
    approved_period(vorkuta)
    group = ready_group(vorkuta, ends_on=dt.date(2026, 11, 14), **TEENS)
    fam, contract = signed_contract(vorkuta, operator, group, birth_date=dt.date(2010, 11, 15))
    _child_turning_18_on_15_november(fam)
    with clock.frozen(dt.date(2026, 11, 15)):
        assert certificates.expire_certificates() == 1
    contract.refresh_from_db()
    assert contract.status == Contract.Status.COMPLETED
    assert open_reservation_months(contract) == [SEP, OCT, NOV]


# ----------------------------------------------------------------------- page and API


def test_cancelling_through_the_operator_page_ends_the_contract(client, vorkuta, operator):
    period = approved_period(vorkuta)
    fam, contract = signed_contract(vorkuta, operator, ready_group(vorkuta))
    client.force_login(operator)
    with clock.frozen(dt.date(2026, 10, 10)):
        response = client.post(
            reverse("certificates:cancel", args=[fam.certificate.pk]),
            {"cancel-reason": "Семья переехала", "cancel-confirm": "on"},
        )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert open_reservation_months(contract) == [SEP, OCT]
    assert certificate_selectors.balance(fam.certificate, period).available_kopecks == 0
    page = client.get(response.url)
    assert "договоры расторгнуты" in page.content.decode()


def test_cancelling_through_the_api_ends_the_contract(api_client, vorkuta, operator):
    period = approved_period(vorkuta)
    fam, contract = signed_contract(vorkuta, operator, ready_group(vorkuta))
    api_client.force_authenticate(operator)
    url = f"/api/v1/certificates/{fam.certificate.pk}/cancel/"
    with clock.frozen(dt.date(2026, 10, 10)):
        response = api_client.post(url, {"reason": "Семья переехала"}, format="json")
        again = api_client.post(url, {"reason": "Семья переехала"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["balance"]["returned_kopecks"] == NOMINAL - 2 * MONTH
    assert body["balance"]["reserved_kopecks"] == 2 * MONTH
    assert again.status_code == 409 and again.json()["error"]["code"]
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert certificate_selectors.balance(fam.certificate, period).available_kopecks == 0


def test_every_ending_certificate_hook_is_connected():
    assert services.end_certificate_contracts in certificates.certificate_ending.handlers
