"""Bank-details races on PostgreSQL: real threads, each with its own connection."""

from __future__ import annotations

import pytest

from pfdo.accounts.models import Notification
from pfdo.audit.models import ActionLog
from pfdo.common.tests.races import as_user, codes, run_at_once
from pfdo.providers import services
from pfdo.providers.models import BankDetailsChange, Provider
from pfdo.providers.tests.factories import KOMI_BANK, OTHER_BANK, ProviderFactory, add_staff

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_a_double_approval_applies_once(vorkuta, operator, make_user):
    provider = ProviderFactory(municipality=vorkuta, **KOMI_BANK)
    admin = add_staff(provider).user
    payer = make_user("payer", municipality=vorkuta)
    change = services.request_bank_change(actor=admin, provider=provider, details=OTHER_BANK)

    def approve():
        return services.approve_bank_change(
            actor=as_user(operator.pk), change=BankDetailsChange.objects.get(pk=change.pk)
        )

    outcomes = run_at_once([approve] * 5)

    assert sum(isinstance(o, BankDetailsChange) for o in outcomes) == 1, codes(outcomes)
    assert codes(outcomes) == {"bank_change_decided": 4}
    provider.refresh_from_db()
    assert provider.bank_details == OTHER_BANK
    [log] = ActionLog.objects.filter(action="providers.bank_change_approved")
    assert log.details["old"] == KOMI_BANK and log.details["new"] == OTHER_BANK
    assert Notification.objects.filter(user=payer).count() == 1
    assert (
        Provider.history.filter(
            id=provider.pk, settlement_account=OTHER_BANK["settlement_account"]
        ).count()
        == 1
    )


def test_approval_and_withdrawal_at_once_settle_one_way(vorkuta, operator):
    provider = ProviderFactory(municipality=vorkuta, **KOMI_BANK)
    admin = add_staff(provider).user
    change = services.request_bank_change(actor=admin, provider=provider, details=OTHER_BANK)

    def fresh():
        return BankDetailsChange.objects.get(pk=change.pk)

    outcomes = run_at_once(
        [
            lambda: services.approve_bank_change(actor=as_user(operator.pk), change=fresh()),
            lambda: services.withdraw_bank_change(actor=as_user(admin.pk), change=fresh()),
        ]
    )

    assert codes(outcomes) == {"bank_change_decided": 1}
    change.refresh_from_db()
    provider.refresh_from_db()
    expected = OTHER_BANK if change.status == BankDetailsChange.Status.APPROVED else KOMI_BANK
    assert provider.bank_details == expected
