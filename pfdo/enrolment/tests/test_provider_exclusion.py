"""A provider sent for a check or excluded signs nothing more (issue 12, scenario 6; domain.md
§4): confirmations, offers and acceptances stop at once; at exclusion its pending applications
and open offers end, and its running contracts run to their end or are terminated on the
operator's date (carried out by the daily job when later); the families are told."""

from __future__ import annotations

import datetime as dt
import functools

import pytest
from django.urls import reverse
from django.utils import timezone

from pfdo.accounts.models import Notification
from pfdo.certificates import selectors as certificate_selectors
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.ledger import selectors as ledger_selectors
from pfdo.ledger.selectors import verify_ledger
from pfdo.providers import services as providers
from pfdo.providers.models import ContractsOnExclusion, Provider

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 28)
MONTH = 200_000  # 18 000 ₽ over the group's nine months

run_to_end = functools.partial(providers.exclude, contracts=ContractsOnExclusion.RUN_TO_END)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def group(vorkuta, period):
    return ready_group(vorkuta)


@pytest.fixture
def provider(group):
    return group.module.program.provider


@pytest.fixture
def staff(provider):
    return staff_of(provider)


def reserved(fam, period) -> int:
    return certificate_selectors.balance(fam.certificate, period).reserved_kopecks


def open_months(contract) -> list[dt.date]:
    months = list(contract.months.filter(reservation_id__isnull=False).order_by("month"))
    still = ledger_selectors.unresolved_pending_ids([m.reservation_id for m in months])
    return [m.month for m in months if m.reservation_id in still]


def signed(fam, group, staff) -> Contract:
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    return services.accept(
        actor=fam.parent, contract=services.confirm(actor=staff, application=application)
    )


def test_year_06_excluded_provider_cannot_sign_contracts(
    vorkuta, operator, period, group, provider, staff
):
    """A parent applies and another has an offer; the operator excludes the provider: the
    application and the offer end at once, and neither the staff's confirmation nor the
    parent's acceptance can make a contract — nothing is reserved."""
    applying = family(vorkuta, operator)
    offered = family(vorkuta, operator)
    application = services.apply(
        actor=applying.parent, certificate=applying.certificate, group=group
    )
    offer = services.confirm(
        actor=staff,
        application=services.apply(
            actor=offered.parent, certificate=offered.certificate, group=group
        ),
    )

    run_to_end(actor=operator, provider=provider, reason="Нарушение условий")

    application.refresh_from_db()
    offer.refresh_from_db()
    assert application.status == Application.Status.EXPIRED
    assert "исключён из реестра: Нарушение условий" in application.reason
    assert offer.status == Contract.Status.EXPIRED
    with pytest.raises(Conflict):
        services.confirm(actor=staff, application=application)
    with pytest.raises(Conflict):
        services.accept(actor=offered.parent, contract=offer)
    assert reserved(applying, period) == 0 and reserved(offered, period) == 0
    assert not Contract.objects.filter(status=Contract.Status.ACTIVE).exists()
    group.refresh_from_db()
    assert group.seats_taken == 0
    # The families are told, so they can apply elsewhere.
    for fam in (applying, offered):
        note = Notification.objects.filter(user=fam.parent).order_by("-pk").first()
        assert "исключён из реестра" in note.body and "другую программу" in note.body
    assert verify_ledger() == []


def test_needs_check_stops_confirmations_and_acceptances_until_reinstated(
    vorkuta, operator, period, group, provider, staff
):
    """Sent for a check, the provider keeps its applications and offers, but nobody may
    confirm or accept them until it is back in the registry."""
    waiting = family(vorkuta, operator)
    offered = family(vorkuta, operator)
    application = services.apply(actor=waiting.parent, certificate=waiting.certificate, group=group)
    offer = services.confirm(
        actor=staff,
        application=services.apply(
            actor=offered.parent, certificate=offered.certificate, group=group
        ),
    )
    providers.mark_needs_check(actor=operator, provider=provider, reason="Жалоба родителей")

    application.refresh_from_db()
    offer.refresh_from_db()
    assert services.confirm_refusal(application).code == "provider_not_active"
    assert services.accept_refusal(offer).code == "provider_not_active"
    with pytest.raises(providers.ProviderNotActive):
        services.confirm(actor=staff, application=application)
    with pytest.raises(providers.ProviderNotActive):
        services.accept(actor=offered.parent, contract=offer)
    assert reserved(offered, period) == 0
    assert application.status == Application.Status.NEW
    assert offer.status == Contract.Status.OFFERED

    providers.reinstate(actor=operator, provider=provider)
    services.accept(actor=offered.parent, contract=offer)
    assert reserved(offered, period) == 7 * MONTH


def test_running_contracts_run_to_their_end_and_families_are_told(
    vorkuta, operator, period, group, provider, staff
):
    fam = family(vorkuta, operator)
    contract = signed(fam, group, staff)
    run_to_end(actor=operator, provider=provider, reason="Нарушение условий")
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE
    assert len(open_months(contract)) == 7
    note = Notification.objects.get(user=fam.parent, subject__contains="исключён")
    assert "действует до своего окончания 31.05.2027" in note.body
    # The daily job leaves them alone.
    with clock.frozen(dt.date(2026, 12, 20)):
        assert services.run_deadlines().contracts_terminated == 0
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE


def test_termination_on_a_later_date_is_carried_out_by_the_daily_job(
    vorkuta, operator, period, group, provider, staff
):
    """Excluded on 28 November with the contracts' last day 20 December; the job runs late,
    on 22 December: the contract ends on 20 December, January–May return to the certificate."""
    fam = family(vorkuta, operator)
    contract = signed(fam, group, staff)
    providers.exclude(
        actor=operator,
        provider=provider,
        reason="Нарушение условий",
        contracts=ContractsOnExclusion.TERMINATE,
        terminate_on=dt.date(2026, 12, 20),
    )
    note = Notification.objects.get(user=fam.parent, subject__contains="исключён")
    assert "будет расторгнут: последний день занятий 20.12.2026" in note.body
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE

    with clock.frozen(dt.date(2026, 12, 19)):
        assert services.run_deadlines().contracts_terminated == 0
    with clock.frozen(dt.date(2026, 12, 22)):
        assert services.run_deadlines().contracts_terminated == 1
        assert services.run_deadlines().contracts_terminated == 0  # nothing twice
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert contract.terminated_by == Contract.TerminatedBy.OPERATOR
    assert timezone.localdate(contract.ended_at) == dt.date(2026, 12, 20)
    assert "исключён из реестра" in contract.termination_reason
    assert open_months(contract) == [dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    assert reserved(fam, period) == 2 * MONTH
    assert Notification.objects.filter(user=staff, subject__contains="расторгнут").exists()
    assert verify_ledger() == []


def test_termination_today_happens_at_exclusion(vorkuta, operator, period, group, provider, staff):
    fam = family(vorkuta, operator)
    contract = signed(fam, group, staff)
    providers.exclude(
        actor=operator,
        provider=provider,
        reason="Лицензия отозвана",
        contracts=ContractsOnExclusion.TERMINATE,
        terminate_on=TODAY,
    )
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert timezone.localdate(contract.ended_at) == TODAY
    assert open_months(contract) == [dt.date(2026, 11, 1)]
    assert Provider.objects.get(pk=provider.pk).contracts_terminate_on == TODAY


def test_every_exclusion_hook_is_connected():
    assert services.end_provider_enrolments in providers.provider_excluded.handlers


# ----------------------------------------------------------------------- pages and API


def test_pages_say_why_confirming_and_accepting_are_unavailable(
    client, vorkuta, operator, period, group, provider, staff
):
    waiting = family(vorkuta, operator)
    offered = family(vorkuta, operator)
    application = services.apply(actor=waiting.parent, certificate=waiting.certificate, group=group)
    offer = services.confirm(
        actor=staff,
        application=services.apply(
            actor=offered.parent, certificate=offered.certificate, group=group
        ),
    )
    providers.mark_needs_check(actor=operator, provider=provider, reason="Жалоба родителей")

    client.force_login(staff)
    page = client.get(reverse("enrolment:provider_application", args=[application.pk]))
    assert page.status_code == 200 and page.context["confirm_problem"]
    html = page.content.decode()
    assert 'data-testid="confirm-refused"' in html and "требует проверки" in html
    assert "Подтвердить — предложить договор" not in html
    response = client.post(reverse("enrolment:provider_application_confirm", args=[application.pk]))
    assert response.status_code in (200, 302)
    application.refresh_from_db()
    assert application.status == Application.Status.NEW

    # A parent given an initial password changes it first; not this page's subject.
    type(offered.parent).objects.filter(pk=offered.parent.pk).update(must_change_password=False)
    client.force_login(offered.parent)
    page = client.get(reverse("enrolment:parent_contract", args=[offer.pk]))
    html = page.content.decode()
    assert 'data-testid="accept-refused"' in html and "требует проверки" in html
    assert 'data-testid="accept"' not in html
    response = client.post(reverse("enrolment:parent_contract_accept", args=[offer.pk]))
    assert response.status_code in (200, 302)
    offer.refresh_from_db()
    assert offer.status == Contract.Status.OFFERED
    assert reserved(offered, period) == 0


def test_api_refuses_confirming_and_accepting_with_the_reason(
    api_client, vorkuta, operator, period, group, provider, staff
):
    waiting = family(vorkuta, operator)
    offered = family(vorkuta, operator)
    application = services.apply(actor=waiting.parent, certificate=waiting.certificate, group=group)
    offer = services.confirm(
        actor=staff,
        application=services.apply(
            actor=offered.parent, certificate=offered.certificate, group=group
        ),
    )
    providers.mark_needs_check(actor=operator, provider=provider, reason="Жалоба родителей")

    api_client.force_authenticate(staff)
    response = api_client.post(f"/api/v1/applications/{application.pk}/confirm/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "provider_not_active"
    api_client.force_authenticate(offered.parent)
    response = api_client.post(f"/api/v1/contracts/{offer.pk}/accept/")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "provider_not_active" and "требует проверки" in error["message"]
