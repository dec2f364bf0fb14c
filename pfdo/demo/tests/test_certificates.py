"""The certificates demo: believable families, a quota partly used, an exact ledger, idempotent."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from pfdo.accounts.models import Membership, Notification, User
from pfdo.audit.models import ActionLog
from pfdo.certificates import selectors, services
from pfdo.certificates.models import (
    Certificate,
    CertificateApplication,
    Child,
    Guardianship,
    NumberSequence,
    SwitchRequest,
)
from pfdo.certificates.tests.factories import child_data
from pfdo.certificates.validators import normalize_document, snils_error
from pfdo.common import clock
from pfdo.demo import certificates as demo
from pfdo.demo import financing as financing_demo
from pfdo.demo.accounts import DEMO_PASSWORD, seed_demo_users
from pfdo.demo.territory import seed_komi
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger

TODAY = dt.date(2026, 11, 28)
GENERATED = 200

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def base():
    """Komi, the demo logins and the Vorkuta period: what the certificates step needs."""
    region, vorkuta = seed_komi()
    seed_demo_users(region=region, municipality=vorkuta)
    period = financing_demo.seed_period(municipality=vorkuta)
    return vorkuta, period


def run(base, children=GENERATED) -> demo.Summary:
    vorkuta, period = base
    return demo.seed_certificates(
        municipality=vorkuta,
        period=period,
        operator=User.objects.get(username="operator"),
        parent=User.objects.get(username="parent"),
        children=children,
    )


def snapshot():
    return (
        Child.objects.count(),
        Guardianship.objects.count(),
        CertificateApplication.objects.count(),
        Certificate.objects.count(),
        SwitchRequest.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Account.objects.count(),
        Transfer.objects.count(),
        ActionLog.objects.count(),
        Notification.objects.count(),
        list(NumberSequence.objects.values_list("last_value", flat=True)),
        list(Certificate.objects.order_by("pk").values_list("status", "type")),
        list(
            Account.objects.order_by("pk").values_list(
                "credits_posted_kopecks", "debits_posted_kopecks"
            )
        ),
    )


def test_demo_has_both_types_a_partly_used_quota_and_an_exact_ledger(base):
    vorkuta, period = base
    summary = run(base)
    hand_written = 10
    assert summary.children == GENERATED + hand_written
    assert summary.financing > 0 and summary.accounting > 0
    assert summary.financing < period.certificate_quota
    assert summary.financing == selectors.financing_count(vorkuta)
    assert summary.suspended >= 2 and summary.cancelled >= 2 and summary.expired >= 1
    assert summary.applied >= 2 and summary.verified >= 2
    # Issue 12: the queue is served before new applicants, so both requests were fulfilled.
    assert summary.waiting_switches == 0
    assert SwitchRequest.objects.filter(status="fulfilled").count() == 2

    assert verify_ledger() == []
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert "Расхождений нет" in out.getvalue()
    period.refresh_from_db()
    assert period.commitments_started_at is not None

    # Every financing certificate got the nominal the services give on its day of issue
    # (ОВЗ children the larger one); cancelled ones gave their money back.
    money = selectors.balances(Certificate.objects.all(), period)
    disabled = 0
    for certificate in Certificate.objects.filter(type="financing").select_related("child"):
        expected, _ = services.nominal_amount(
            period, certificate.child, timezone.localdate(certificate.issued_at)
        )
        assert money[certificate.pk].granted_kopecks == expected, certificate.number
        if certificate.status == "cancelled":
            assert money[certificate.pk].available_kopecks == 0
            assert money[certificate.pk].returned_kopecks == expected
        else:
            assert money[certificate.pk].available_kopecks == expected
        if certificate.child.has_disability and certificate.issued_at.month == 9:
            assert expected == financing_demo.NOMINAL_DISABILITY_KOPECKS
            disabled += 1
    assert disabled >= 1  # Варвара Смирнова at least
    assert not Account.objects.filter(
        kind="certificate", holder_id__in=Certificate.objects.filter(type="accounting").values("pk")
    ).exists()


def test_numbers_are_ten_digits_unique_and_the_sequence_continues(base):
    vorkuta, _period = base
    run(base)
    numbers = list(Certificate.objects.values_list("number", flat=True))
    assert all(len(n) == 10 and n.isdigit() and n.startswith("1102") for n in numbers)
    assert len(set(numbers)) == len(numbers)
    last = NumberSequence.objects.get(municipality=vorkuta).last_value
    assert last == max(int(n[4:]) for n in numbers) == len(numbers)
    # The next certificate the services issue continues the sequence.
    operator = User.objects.get(username="operator")
    parent = User.objects.get(username="parent")
    application = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data(first_name="Ева")
    )
    issued = services.approve_application(actor=operator, application=application)
    assert issued.certificate.number == f"1102{last + 1:06d}"
    assert verify_ledger() == []


def test_demo_parent_has_two_children_one_certificate_of_each_type(base, client):
    _vorkuta, period = base
    run(base)
    parent = User.objects.get(username="parent")
    children = list(selectors.children_of_parent(parent))
    assert [c.first_name for c in children] == ["Михаил", "Анна"]
    live = Certificate.objects.filter(child__in=children, status__in=Certificate.LIVE)
    assert live.count() == 2
    assert set(live.values_list("type", flat=True)) == {"financing", "accounting"}
    anna = live.get(type="financing")
    assert selectors.balance(anna, period).available_kopecks == financing_demo.NOMINAL_KOPECKS
    assert "по заявлению родителя" in live.get(type="accounting").type_reason
    # Issued through the services: the history and the parent's notifications are there.
    assert ActionLog.objects.filter(
        action="certificates.certificate_issued", object_id=str(anna.pk)
    ).exists()
    assert Notification.objects.filter(user=parent, subject="Сертификат выдан").count() == 2
    # The demo password still works and need not be changed.
    parent.refresh_from_db()
    assert parent.check_password(DEMO_PASSWORD) and not parent.must_change_password
    response = client.post("/login/", {"username": "parent", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_children_are_plausible_and_generated_parents_are_not_logins(base):
    vorkuta, _period = base
    run(base)
    children = list(Child.objects.filter(municipality=vorkuta))
    for child in children:
        assert snils_error(child.snils) is None, child.full_name
        assert normalize_document(child.document_type, child.document_number) == (
            child.document_number,
            None,
        )
        age = child.age_years(TODAY)
        assert (child.document_type == "passport") == (age >= 14), child.full_name
        assert child.patronymic.endswith("ич" if child.sex == "m" else "на"), child.full_name
    live = Child.objects.filter(certificates__status__in=Certificate.LIVE).distinct()
    assert {c.age_years(TODAY) for c in live} <= set(range(5, 18))
    assert len({c.age_years(TODAY) for c in live}) >= 10
    assert {c.sex for c in children} == {"m", "f"}
    assert len({c.snils for c in children}) == len(children)
    generated = User.objects.filter(username__startswith=demo.generated_prefix(vorkuta))
    assert generated.exists()
    assert not any(u.has_usable_password() for u in generated)
    assert all(u.has_role("parent") for u in generated[:20])
    assert not Guardianship.objects.filter(child__municipality=vorkuta, user__isnull=True).exists()


def test_type_and_status_reasons_are_the_ones_the_services_give(base):
    vorkuta, period = base
    run(base)
    # The hand-written families went through the services and cover every type reason;
    # the generated certificates use exactly those texts.
    generated = Certificate.objects.filter(
        child__guardianships__user__username__startswith=demo.generated_prefix(vorkuta)
    )
    by_services = Certificate.objects.exclude(pk__in=generated.values("pk"))
    reasons = set(by_services.values_list("type_reason", flat=True))
    switched = "Переведён в сертификат финансирования по запросу родителя: " + (
        demo.reason_financing(period)
    )
    assert reasons == {demo.REASON_BY_CHOICE, demo.reason_financing(period), switched}
    # The switched ones were issued with the no-period reason the generated ones carry.
    issued_with = {
        c.history.earliest("history_date").type_reason
        for c in by_services.filter(type_reason=switched)
    }
    assert issued_with == {demo.REASON_NO_PERIOD}
    assert set(generated.values_list("type_reason", flat=True)) == (reasons | issued_with) - {
        switched
    }
    # The switches were filed before the period, when there was no quota to give; once it
    # ran, the queue got the free places before any new applicant (issue 12).
    for request in SwitchRequest.objects.select_related("certificate"):
        assert request.status == "fulfilled"
        assert request.created_at.date() < period.starts_on
        assert timezone.localdate(request.decided_at) >= period.starts_on
        assert request.certificate.type == "financing"
        assert request.certificate.type_reason == switched
    # Accounting certificates issued before the period say so; after it, only by choice.
    for certificate in Certificate.objects.filter(type="accounting"):
        if certificate.type_reason == demo.REASON_NO_PERIOD:
            assert timezone.localdate(certificate.issued_at) < period.starts_on
            assert certificate.application.wants_financing
        else:
            assert not certificate.application.wants_financing
    for certificate in Certificate.objects.filter(type="financing").exclude(type_reason=switched):
        assert timezone.localdate(certificate.issued_at) >= period.starts_on
    for certificate in Certificate.objects.filter(status="expired"):
        assert certificate.valid_until < TODAY
    assert not Certificate.objects.filter(
        status__in=Certificate.LIVE, valid_until__lt=TODAY
    ).exists()
    assert services.expire_certificates(today=TODAY) == 0


def test_open_queue_has_a_possible_duplicate_by_document(base):
    vorkuta, _period = base
    run(base)
    queue = list(
        CertificateApplication.objects.filter(municipality=vorkuta)
        .open()
        .select_related("child", "municipality")
    )
    flags = selectors.duplicate_flags(queue)
    flagged = [a for a in queue if flags[a.pk]]
    assert [a.child.full_name for a in flagged] == ["Павлов Кирилл Романович"]
    assert [c.full_name for c in selectors.duplicates_of(flagged[0])] == ["Кузнецов Артём Игоревич"]
    assert {a.status for a in queue} == {"applied", "verified"}


def test_second_run_creates_nothing_and_the_grant_command_finds_nothing_to_do(base):
    run(base)
    before = snapshot()
    again = run(base)
    assert snapshot() == before
    assert again.children == GENERATED + 10
    out = StringIO()
    call_command("grant_period_nominals", "--municipality", "vorkuta", stdout=out)
    assert "начислено номиналов: 0 — всем сертификатам уже начислено" in out.getvalue()
    assert verify_ledger() == []


def test_without_generated_children_only_the_families(base):
    summary = run(base, children=0)
    assert summary.children == 10
    # Issue 12: the two switch requests filed before the period were fulfilled.
    assert (summary.financing, summary.accounting) == (5, 1)
    assert (summary.suspended, summary.cancelled, summary.waiting_switches) == (1, 1, 0)
    assert (summary.applied, summary.verified) == (2, 1)
    assert verify_ledger() == []


def test_too_few_generated_children_are_refused():
    with pytest.raises(ValueError):
        demo.plan(5, financing_room=100, running=True)
