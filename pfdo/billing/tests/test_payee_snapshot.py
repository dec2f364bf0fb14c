"""Documents keep the bank details they were issued with (issue 13, item 5).

An invoice or advance request takes the provider's bank details when built and, for good,
when submitted to the payer. An approved change of the provider's details redirects new
documents only: the print page, the payer's and provider's pages, the API and the payment
registry of an issued document keep the old account.
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from pfdo.billing import services
from pfdo.billing.models import AdvanceRequest, Invoice
from pfdo.billing.tests.api_world import ADVANCES, INVOICES, NOV, OCT, PAYMENTS, accepted_invoice
from pfdo.common import clock
from pfdo.providers import services as providers
from pfdo.providers.models import Provider
from pfdo.providers.tests.factories import KOMI_BANK, OTHER_BANK

OLD, NEW = KOMI_BANK["settlement_account"], OTHER_BANK["settlement_account"]
CSV = reverse("billing:official_payments_csv")

pytestmark = pytest.mark.usefixtures("api_today")


@pytest.fixture
def komi(w):
    """Provider P is paid to its Komi account; its staff member is its admin."""
    Provider.objects.filter(pk=w.provider.pk).update(**KOMI_BANK)
    w.provider.refresh_from_db()
    return w


def change_account(w) -> None:
    """The admin asks for the other bank, the operator approves."""
    change = providers.request_bank_change(actor=w.staff, provider=w.provider, details=OTHER_BANK)
    providers.approve_bank_change(actor=w.operator, change=change)
    w.provider.refresh_from_db()
    assert w.provider.settlement_account == NEW


def test_an_issued_invoice_keeps_its_account_after_an_approved_change(client, komi, as_user):
    w = komi
    invoice = accepted_invoice(w)
    services.record_payment(
        actor=w.payer, document=invoice, order_number="77", paid_on=clock.today(), amount_kopecks=1
    )
    change_account(w)

    print_url = reverse("billing:provider_invoice_print", args=[invoice.pk])
    for user in (w.staff, w.payer, w.operator):
        client.force_login(user)
        page = client.get(print_url).content.decode()
        assert OLD in page and NEW not in page, user
    client.force_login(w.payer)
    page = client.get(reverse("billing:official_invoice", args=[invoice.pk])).content.decode()
    assert OLD in page and NEW not in page
    registry = b"".join(client.get(CSV).streaming_content).decode()
    assert f";{OLD};{KOMI_BANK['bik']}" in registry and NEW not in registry

    api = as_user(w.payer)
    assert api.get(f"{INVOICES}{invoice.pk}/").json()["payee"] == KOMI_BANK
    [payment] = api.get(PAYMENTS).json()["results"]
    assert payment["payee"]["settlement_account"] == OLD


def test_new_documents_and_submissions_after_the_change_take_the_new_account(komi, as_user):
    w = komi
    with clock.frozen(dt.date(2026, 10, 5)):
        advance = services.build_advance(actor=w.staff, provider=w.provider, month=OCT)
    assert advance.payee_settlement_account == OLD  # a draft shows where it would go today
    change_account(w)
    # Submitted after the change: it goes to the payer with the approved details.
    with clock.frozen(dt.date(2026, 10, 6)):
        advance = services.submit_advance(actor=w.staff, advance=advance)
    assert AdvanceRequest.objects.get(pk=advance.pk).payee_settlement_account == NEW
    november = services.build_advance(actor=w.staff, provider=w.provider, month=NOV)
    assert november.payee_bank_name == OTHER_BANK["bank_name"]
    body = as_user(w.staff).get(f"{ADVANCES}{november.pk}/").json()
    assert body["payee"] == OTHER_BANK


def test_a_submitted_invoice_does_not_follow_a_change_before_the_decision(client, komi):
    w = komi
    invoice = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
    invoice = services.submit_invoice(actor=w.staff, invoice=invoice)
    change_account(w)
    invoice = services.accept_invoice(actor=w.payer, invoice=invoice)
    assert Invoice.objects.get(pk=invoice.pk).payee_settlement_account == OLD
    client.force_login(w.staff)
    page = client.get(reverse("billing:provider_invoice", args=[invoice.pk])).content.decode()
    assert OLD in page and NEW not in page


def test_the_migration_fills_existing_documents_from_the_provider(komi):
    w = komi
    invoice = accepted_invoice(w)
    Invoice.objects.filter(pk=invoice.pk).update(payee_settlement_account="", payee_bik="")
    migration = importlib.import_module("pfdo.billing.migrations.0004_document_payee_snapshot")
    migration.backfill_payee(apps, None)
    invoice.refresh_from_db()
    assert invoice.payee_settlement_account == OLD and invoice.payee_bik == KOMI_BANK["bik"]
