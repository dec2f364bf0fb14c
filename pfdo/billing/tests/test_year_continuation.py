"""Contracts crossing a period boundary (issue 12, scenario 10): worse terms need the family's
consent, unchanged terms continue with a notice, continuations take the next nominal before
new enrolments, and the close waits for an approved next period — services, pages, API."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from pfdo.accounts.models import Notification
from pfdo.billing import services
from pfdo.billing.models import PeriodClosing
from pfdo.billing.tests.factories import ready_group, signed_contract, staff_of
from pfdo.billing.tests.test_period_close import (
    CLOSE_DAY,
    GROUP_GOES_ON,
    NEXT_START,
    OLD_END,
    Setup,
    money,
    next_period,
)
from pfdo.catalog.models import Group
from pfdo.certificates import services as certificate_services
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.models import ContinuationOffer, Contract
from pfdo.jobs.models import Job
from pfdo.ledger.selectors import verify_ledger
from pfdo.providers import services as providers

pytestmark = pytest.mark.django_db

CONTRACTS_API = "/api/v1/contracts/"


def ready_to_log_in(user):
    user.must_change_password = False
    user.save(update_fields=["must_change_password"])
    return user


def seats(group) -> int:
    return Group.objects.get(pk=group.pk).seats_taken


def closed_with_offer(vorkuta, operator, **setup):
    s = Setup(vorkuta, operator, **setup)
    with clock.frozen(NEXT_START):
        certificate_services.grant_period_nominals(actor=operator, period=s.new)
    with clock.frozen(CLOSE_DAY):
        closing = services.close_period(actor=operator, period=s.old)
    return s, closing


def test_year_10_close_asks_consent_for_worse_terms(vorkuta, operator):
    s = Setup(vorkuta, operator)
    fam_b, kb = signed_contract(vorkuta, operator, s.crossing)
    with clock.frozen(NEXT_START):
        certificate_services.grant_period_nominals(actor=operator, period=s.new)
    taken = seats(s.crossing)
    with clock.frozen(CLOSE_DAY):
        closing = services.close_period(actor=operator, period=s.old)
    # The next nominal (6 000 ₽) pays 6 000 of the 9 000 ₽ left: the family's share goes from
    # 0 to 3 000 ₽, so nothing is imposed — both families are asked, the places kept.
    assert closing.continued_contracts == 0
    assert services.continuations_offered(closing) == 2
    offer = ContinuationOffer.objects.get(contract=s.k1)
    assert offer.status == ContinuationOffer.Status.OFFERED
    assert (offer.certificate_kopecks, offer.copay_kopecks) == (600_000, 300_000)
    assert (offer.starts_on, offer.ends_on) == (NEXT_START, GROUP_GOES_ON)
    # The deadline is the next period's offer_days (3) from the close.
    assert clock.now() < offer.expires_at
    assert (offer.expires_at - offer.offered_at) == dt.timedelta(days=s.new.offer_days)
    note = Notification.objects.filter(user=s.fam1.parent).latest("pk")
    assert "нужно ваше согласие" in note.subject
    assert "доплата семьи — 3 000,00 ₽" in note.body.replace("\xa0", " ")
    assert seats(s.crossing) == taken
    assert money(s.fam1, s.new).reserved_kopecks == 0
    with clock.frozen(CLOSE_DAY + dt.timedelta(days=1)):
        call_command("run_enrolment_deadlines", stdout=StringIO())
    assert Contract.objects.get(pk=s.k1.pk).status == Contract.Status.ACTIVE

    # Family 1 declines: the contract ends at the boundary, its place is released.
    with clock.frozen(CLOSE_DAY + dt.timedelta(days=1)):
        enrolment.decline_continuation(actor=s.fam1.parent, offer=offer)
    k1 = Contract.objects.get(pk=s.k1.pk)
    assert (k1.status, k1.ends_on) == (Contract.Status.COMPLETED, OLD_END)
    assert not k1.months.filter(month__gte=NEXT_START).exists()
    assert seats(s.crossing) == taken - 1
    assert money(s.fam1, s.new).reserved_kopecks == 0
    # Family B does not answer: after the deadline the job ends its contract the same way.
    with clock.frozen(CLOSE_DAY + dt.timedelta(days=4)):
        out = StringIO()
        call_command("run_enrolment_deadlines", stdout=out)
    b_offer = ContinuationOffer.objects.get(contract=kb)
    assert b_offer.status == ContinuationOffer.Status.EXPIRED
    kb = Contract.objects.get(pk=kb.pk)
    assert (kb.status, kb.ends_on) == (Contract.Status.COMPLETED, OLD_END)
    assert seats(s.crossing) == taken - 2
    assert "согласие на продолжение не получено" in (
        Notification.objects.filter(user=fam_b.parent).order_by("-pk")[1].subject
    )
    with pytest.raises(Conflict) as exc:
        enrolment.accept_continuation(actor=fam_b.parent, offer=b_offer)
    assert exc.value.code == "continuation_decided"
    assert verify_ledger() == []


def test_unchanged_terms_continue_with_a_notice(vorkuta, operator):
    s = Setup(vorkuta, operator, with_next=False)
    s.new = next_period(vorkuta, nominal=2_417_100)
    with clock.frozen(NEXT_START):
        certificate_services.grant_period_nominals(actor=operator, period=s.new)
    with clock.frozen(CLOSE_DAY):
        closing = services.close_period(actor=operator, period=s.old)
    assert closing.continued_contracts == 1
    assert not ContinuationOffer.objects.exists()
    k1 = Contract.objects.get(pk=s.k1.pk)
    assert (k1.status, k1.ends_on, k1.copay_kopecks) == (Contract.Status.ACTIVE, GROUP_GOES_ON, 0)
    assert money(s.fam1, s.new).reserved_kopecks == 900_000
    note = Notification.objects.filter(user=s.fam1.parent).latest("pk")
    assert note.subject == f"Договор № {k1.number} продолжается в новом периоде"
    assert verify_ledger() == []


def test_continuation_takes_the_next_nominal_before_new_enrolments(vorkuta, operator):
    s = Setup(vorkuta, operator, with_next=False)
    s.new = next_period(vorkuta, nominal=1_500_000)
    # A September group of the new period, on another weekday.
    autumn = ready_group(
        vorkuta,
        price=1_800_000,
        normative=2_000_000,
        weekday=5,
        starts_on=NEXT_START,
        ends_on=GROUP_GOES_ON,
    )
    with clock.frozen(NEXT_START):
        certificate_services.grant_period_nominals(actor=operator, period=s.new)
        # Before the close, k1's continuation keeps 9 000 ₽ of the 15 000 ₽ nominal: the
        # new enrolment sees 6 000 ₽, not 15 000 ₽.
        assert enrolment.continuation_earmark(s.fam1.certificate, s.new) == 900_000
        terms = enrolment.compute_terms(certificate=s.fam1.certificate, group=autumn)
        assert (terms.available_kopecks, terms.certificate_kopecks) == (600_000, 600_000)
        application = enrolment.apply(
            actor=s.fam1.parent, certificate=s.fam1.certificate, group=autumn, copay_agreed=True
        )
        offer = enrolment.confirm(
            actor=staff_of(autumn.module.program.provider), application=application
        )
        enrolment.accept(actor=s.fam1.parent, contract=offer)
    with clock.frozen(CLOSE_DAY):
        closing = services.close_period(actor=operator, period=s.old)
    # The continuation took its 9 000 ₽ in full, so the family's share did not change.
    assert closing.continued_contracts == 1
    k1 = Contract.objects.get(pk=s.k1.pk)
    assert (k1.ends_on, k1.certificate_kopecks, k1.copay_kopecks) == (
        GROUP_GOES_ON,
        1_200_000 + 900_000,
        0,
    )
    balance = money(s.fam1, s.new)
    assert (balance.reserved_kopecks, balance.available_kopecks) == (1_500_000, 0)
    assert enrolment.continuation_earmark(s.fam1.certificate, s.new) == 0
    assert verify_ledger() == []


# ------------------------------------------------------------------------------- pages


def test_close_page_shows_the_refusal_while_the_next_period_is_missing(client, vorkuta, operator):
    s = Setup(vorkuta, operator, with_next=False)
    client.force_login(operator)
    periods = reverse("billing:official_periods") + "?municipality=vorkuta"
    with clock.frozen(CLOSE_DAY):
        page = client.get(periods).content.decode()
        assert "Закрытие подождёт: 1 договор(ов) продолжаются после 31.08.2027" in page
        response = client.post(
            reverse("billing:official_period_close", args=[s.old.pk]), follow=True
        )
    assert "Закрытие подождёт" in response.content.decode()
    assert not PeriodClosing.objects.exists()


def test_parent_accepts_and_declines_the_continuation_in_the_cabinet(client, vorkuta, operator):
    s, _ = closed_with_offer(vorkuta, operator)
    fam_b, kb = s.fam1, s.k1
    parent = ready_to_log_in(fam_b.parent)
    client.force_login(parent)
    page_url = reverse("enrolment:parent_contract", args=[kb.pk])
    with clock.frozen(CLOSE_DAY):
        page = client.get(page_url).content.decode()
        assert 'data-testid="continuation"' in page
        assert "3 000,00" in page.replace("\xa0", " ")
        response = client.post(
            reverse("enrolment:parent_continuation_accept", args=[kb.pk]), follow=True
        )
    assert response.status_code == 200
    assert "Договор продолжается до 31.05.2028" in response.content.decode()
    kb = Contract.objects.get(pk=kb.pk)
    assert (kb.ends_on, kb.copay_kopecks) == (GROUP_GOES_ON, 300_000)
    assert 'data-testid="continuation"' not in response.content.decode()
    # Nothing left to answer: the decline URL is a 404.
    with clock.frozen(CLOSE_DAY):
        missing = client.post(reverse("enrolment:parent_continuation_decline", args=[kb.pk]))
    assert missing.status_code == 404


def test_parent_declines_the_continuation_in_the_cabinet(client, vorkuta, operator):
    s, _ = closed_with_offer(vorkuta, operator)
    client.force_login(ready_to_log_in(s.fam1.parent))
    with clock.frozen(CLOSE_DAY):
        response = client.post(
            reverse("enrolment:parent_continuation_decline", args=[s.k1.pk]), follow=True
        )
    assert "Вы отказались продолжать договор" in response.content.decode()
    assert Contract.objects.get(pk=s.k1.pk).status == Contract.Status.COMPLETED


# --------------------------------------------------------------------------------- API


def test_api_close_refusal_and_continuation_answers(
    api_client, vorkuta, operator, django_capture_on_commit_callbacks
):
    s = Setup(vorkuta, operator, with_next=False)
    api_client.force_authenticate(operator)
    with clock.frozen(CLOSE_DAY):
        response = api_client.post(
            "/api/v1/billing/close-period/", {"period": s.old.pk}, format="json"
        )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "next_period_not_approved"
    assert "Закрытие подождёт" in error["message"]

    s.new = next_period(vorkuta)
    with clock.frozen(CLOSE_DAY), django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/billing/close-period/", {"period": s.old.pk}, format="json"
        )
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == f"/api/v1/jobs/{job['id']}/"
    assert (job["kind"], job["status"]) == ("billing.period_close", "queued")
    done = api_client.get(response["Location"]).json()
    assert done["status"] == "done", done
    data = done["result"]["data"]
    assert (data["continued_contracts"], data["continuations_offered"]) == (0, 1)
    # A repeat answers the finished close at once (200), as before: nothing runs again.
    with clock.frozen(CLOSE_DAY):
        repeat = api_client.post(
            "/api/v1/billing/close-period/", {"period": s.old.pk}, format="json"
        )
    assert repeat.status_code == 200, repeat.content
    assert (repeat.json()["continued_contracts"], repeat.json()["continuations_offered"]) == (0, 1)
    assert Job.objects.count() == 1

    parent = ready_to_log_in(s.fam1.parent)
    api_client.force_authenticate(parent)
    detail = f"{CONTRACTS_API}{s.k1.pk}/"
    with clock.frozen(CLOSE_DAY):
        shown = api_client.get(detail).json()
        assert shown["continuation"]["copay_kopecks"] == 300_000
        assert shown["continuation"]["certificate_kopecks"] == 600_000
        accepted = api_client.post(f"{detail}continuation/accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["continuation"] is None
    assert accepted.json()["ends_on"] == GROUP_GOES_ON.isoformat()
    with clock.frozen(CLOSE_DAY):
        again = api_client.post(f"{detail}continuation/decline/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "no_continuation"
    assert verify_ledger() == []


def test_an_excluded_providers_contract_runs_to_its_end_not_into_the_next_period(vorkuta, operator):
    """Excluded with its contracts running to their end: a contract that would cross the
    boundary is not continued; it completes with the period and its place is not kept."""
    s = Setup(vorkuta, operator)
    provider = s.crossing.module.program.provider
    with clock.frozen(dt.date(2026, 10, 5)):
        providers.exclude(
            actor=operator, provider=provider, reason="Нарушения", contracts="run_to_end"
        )
    with clock.frozen(NEXT_START):
        certificate_services.grant_period_nominals(actor=operator, period=s.new)
    with clock.frozen(CLOSE_DAY):
        closing = services.close_period(actor=operator, period=s.old)
    s.k1.refresh_from_db()
    assert s.k1.status == Contract.Status.COMPLETED
    assert s.k1.ends_on == OLD_END
    assert not ContinuationOffer.objects.filter(contract=s.k1).exists()
    assert closing.continued_contracts == 0 and services.continuations_offered(closing) == 0
    assert money(s.fam1, s.new).reserved_kopecks == 0
    assert verify_ledger() == []
