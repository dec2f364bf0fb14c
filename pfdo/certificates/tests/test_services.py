"""Certificate services: applications, issue with quota and nominal, status changes, switches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from pfdo.accounts.models import Notification
from pfdo.audit.models import ActionLog
from pfdo.certificates import selectors, services
from pfdo.certificates.models import Certificate, CertificateApplication, Child, SwitchRequest
from pfdo.certificates.tests.factories import approved_period, child_data, issue_certificate
from pfdo.certificates.validators import surname_key
from pfdo.common import clock
from pfdo.common.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import verify_ledger
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 28)
NOMINAL = 2_417_100

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def parent(vorkuta):
    return services.register_parent(
        actor=None,
        municipality=vorkuta,
        last_name="Иванова",
        first_name="Анна",
        email="anna@example.org",
    )


def test_approval_issues_numbered_financing_certificate_with_nominal(vorkuta, operator, parent):
    period = approved_period(vorkuta)
    issued = issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    certificate = issued.certificate
    assert certificate.number == "1102000001"
    assert certificate.type == Certificate.Type.FINANCING
    assert certificate.status == Certificate.Status.ACTIVE
    assert certificate.valid_until == dt.date(2034, 5, 13)
    money = selectors.balance(certificate, period)
    assert money.granted_kopecks == NOMINAL
    assert money.available_kopecks == NOMINAL
    assert money.reserved_kopecks == 0
    # The parent registered online without a password: one is issued now, to be changed.
    assert issued.login == parent.username and issued.password
    parent.refresh_from_db()
    assert parent.check_password(issued.password) and parent.must_change_password
    assert parent.has_role("parent")
    period.refresh_from_db()
    assert period.commitments_started_at is not None
    assert verify_ledger() == []
    assert Notification.objects.filter(user=parent, subject="Сертификат выдан").exists()


def test_second_child_reuses_the_parent_account_without_new_password(vorkuta, operator, parent):
    approved_period(vorkuta)
    first = issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    second = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, first_name="Пётр", sex="m"
    )
    assert first.password and second.password is None
    assert second.certificate.number == "1102000002"
    assert Child.objects.of_parent(parent).count() == 2


def test_quota_exhausted_gives_accounting_certificate_with_reason(vorkuta, operator, parent):
    period = approved_period(vorkuta, quota=1)
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    second = issue_certificate(operator=operator, municipality=vorkuta, parent=parent).certificate
    assert second.type == Certificate.Type.ACCOUNTING
    assert "квота" in second.type_reason and "1 из 1" in second.type_reason
    assert selectors.balance(second, period).granted_kopecks == 0


def test_no_period_or_parent_choice_gives_accounting(vorkuta, operator, parent):
    no_period = issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    assert no_period.certificate.type == Certificate.Type.ACCOUNTING
    assert "нет утверждённой программы" in no_period.certificate.type_reason
    approved_period(vorkuta)
    chosen = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, wants_financing=False
    )
    assert chosen.certificate.type == Certificate.Type.ACCOUNTING
    assert "по заявлению родителя" in chosen.certificate.type_reason


def test_nominal_scaled_by_months_left(vorkuta, operator, parent):
    period = approved_period(vorkuta, scale_nominal_by_months=True)
    with clock.frozen(dt.date(2027, 3, 15)):
        certificate = issue_certificate(
            operator=operator, municipality=vorkuta, parent=parent
        ).certificate
    # March–August is 6 of the period's 12 months.
    assert selectors.balance(certificate, period).granted_kopecks == NOMINAL * 6 // 12


@pytest.mark.parametrize(
    ("birth_date", "fragment"),
    [
        (dt.date(2022, 1, 1), "4 года"),
        (dt.date(2008, 11, 28), "18 лет"),
        (dt.date(2027, 1, 1), "будущем"),
    ],
)
def test_child_outside_age_range_refused_and_nothing_written(vorkuta, parent, birth_date, fragment):
    with pytest.raises(ValidationFailed) as err:
        services.apply_for_certificate(
            actor=parent,
            municipality=vorkuta,
            parent=parent,
            child=child_data(birth_date=birth_date),
        )
    assert fragment in err.value.fields["birth_date"][0]
    assert Child.objects.count() == 0 and CertificateApplication.objects.count() == 0


def test_bad_snils_and_document_get_field_messages(vorkuta, parent):
    with pytest.raises(ValidationFailed) as err:
        services.apply_for_certificate(
            actor=parent,
            municipality=vorkuta,
            parent=parent,
            child=child_data(snils="112-233-445 96", document_number="12345", sex=""),
        )
    assert "контрольное число" in err.value.fields["snils"][0]
    assert "Свидетельство о рождении" in err.value.fields["document_number"][0]
    assert "sex" in err.value.fields
    assert Child.objects.count() == 0


def test_duplicate_snils_refused_document_match_flagged(vorkuta, operator, parent):
    approved_period(vorkuta)
    data = child_data()
    services.apply_for_certificate(actor=parent, municipality=vorkuta, parent=parent, child=data)
    with pytest.raises(Conflict) as err:
        services.apply_for_certificate(
            actor=parent, municipality=vorkuta, parent=parent, child=child_data(snils=data["snils"])
        )
    assert err.value.code == "duplicate_child" and "snils" in err.value.fields
    # Same birth certificate, another СНИЛС: accepted, shown to the operator as a duplicate.
    other = services.apply_for_certificate(
        actor=parent,
        municipality=vorkuta,
        parent=parent,
        child=child_data(document_number=data["document_number"]),
    )
    assert len(selectors.duplicates_of(other)) == 1
    assert selectors.duplicate_flags([other])[other.pk] == 1


def test_reject_needs_reason_and_allows_reapplying(vorkuta, operator, parent):
    data = child_data()
    application = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=data
    )
    with pytest.raises(ValidationFailed):
        services.reject_application(actor=operator, application=application, reason=" ")
    services.reject_application(actor=operator, application=application, reason="Нет документов")
    application.refresh_from_db()
    assert application.status == CertificateApplication.Status.REJECTED
    with pytest.raises(Conflict):
        services.approve_application(actor=operator, application=application)
    again = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=data
    )
    assert again.child_id == application.child_id  # the same card, not a second child


def test_operator_of_another_municipality_cannot_decide(vorkuta, region, make_user, parent):
    from pfdo.territory.tests.factories import MunicipalityFactory

    other = MunicipalityFactory(region=region, code="inta", number=3)
    stranger = make_user("operator", municipality=other)
    application = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data()
    )
    with pytest.raises(AccessDenied):
        services.approve_application(actor=stranger, application=application)
    with pytest.raises(AccessDenied):
        services.apply_for_certificate(
            actor=parent,
            municipality=vorkuta,
            parent=parent,
            child=child_data(),
            channel=CertificateApplication.Channel.IN_PERSON,
        )


def test_suspend_reactivate_cancel_returns_money_and_frees_quota(vorkuta, operator, parent):
    period = approved_period(vorkuta, quota=1)
    financed = issue_certificate(operator=operator, municipality=vorkuta, parent=parent).certificate
    waiting = issue_certificate(operator=operator, municipality=vorkuta, parent=parent).certificate
    request = services.request_switch(actor=parent, certificate=waiting)
    assert request.status == SwitchRequest.Status.WAITING

    services.suspend_certificate(actor=operator, certificate=financed, reason="Проверка")
    with pytest.raises(Conflict):
        services.suspend_certificate(actor=operator, certificate=financed, reason="Ещё раз")
    services.reactivate_certificate(actor=operator, certificate=financed)
    with pytest.raises(ValidationFailed):
        services.cancel_certificate(actor=operator, certificate=financed, reason="")
    services.cancel_certificate(actor=operator, certificate=financed, reason="Переезд")

    financed.refresh_from_db()
    assert financed.status == Certificate.Status.CANCELLED
    assert selectors.balance(financed, period).available_kopecks == 0
    assert Transfer.objects.filter(kind=Transfer.Kind.REVOKE, amount_kopecks=NOMINAL).count() == 1
    # The freed place went to the waiting request.
    waiting.refresh_from_db()
    request.refresh_from_db()
    assert waiting.type == Certificate.Type.FINANCING
    assert request.status == SwitchRequest.Status.FULFILLED
    assert selectors.balance(waiting, period).available_kopecks == NOMINAL
    with pytest.raises(Conflict):
        services.cancel_certificate(actor=operator, certificate=financed, reason="Повтор")
    assert verify_ledger() == []


def test_switch_immediately_when_quota_has_room(vorkuta, operator, parent):
    period = approved_period(vorkuta)
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, wants_financing=False
    ).certificate
    request = services.request_switch(actor=parent, certificate=certificate)
    assert request.status == SwitchRequest.Status.FULFILLED
    certificate.refresh_from_db()
    assert certificate.is_financing
    assert selectors.balance(certificate, period).granted_kopecks == NOMINAL
    with pytest.raises(Conflict):
        services.request_switch(actor=parent, certificate=certificate)


def test_stranger_parent_cannot_request_switch(vorkuta, operator, parent, make_user):
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, wants_financing=False
    ).certificate
    stranger = make_user("parent", municipality=vorkuta)
    with pytest.raises(Exception) as err:
        services.request_switch(actor=stranger, certificate=certificate)
    assert getattr(err.value, "status", None) == 404


def test_period_start_grants_new_nominal_once(vorkuta, operator, parent):
    approved_period(vorkuta)
    a = issue_certificate(operator=operator, municipality=vorkuta, parent=parent).certificate
    b = issue_certificate(operator=operator, municipality=vorkuta, parent=parent).certificate
    accounting = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, wants_financing=False
    ).certificate
    services.cancel_certificate(actor=operator, certificate=b, reason="Дубликат")
    nxt = FinancingPeriodFactory(
        municipality=vorkuta,
        name="ПФДО 2027/28",
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
        certificate_quota=100,
        budget_kopecks=100 * 3_000_000,
    )
    NominalCategoryFactory(period=nxt, nominal_kopecks=3_000_000)
    assert services.grant_period_nominals(actor=operator, period=nxt) == 1
    assert services.grant_period_nominals(actor=operator, period=nxt) == 0
    assert selectors.balance(a, nxt).granted_kopecks == 3_000_000
    assert selectors.balance(b, nxt).granted_kopecks == 0
    assert selectors.balance(accounting, nxt).granted_kopecks == 0
    assert verify_ledger() == []


def test_expire_at_eighteen(vorkuta, operator, parent):
    period = approved_period(vorkuta)
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, birth_date=dt.date(2009, 1, 10)
    ).certificate
    assert certificate.valid_until == dt.date(2027, 1, 9)
    assert services.expire_certificates(today=dt.date(2027, 1, 9)) == 0
    assert services.expire_certificates(today=dt.date(2027, 1, 10)) == 1
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.EXPIRED
    assert selectors.balance(certificate, period).available_kopecks == 0
    assert verify_ledger() == []


def test_reissue_password(vorkuta, operator, parent):
    issued = issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    again = services.reissue_parent_password(actor=operator, certificate=issued.certificate)
    parent.refresh_from_db()
    assert again.password != issued.password and parent.check_password(again.password)


def test_lookup_match_and_the_reduced_view(vorkuta, operator, parent):
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, last_name="Петрова-Водкина"
    ).certificate
    certificates = Certificate.objects.filter(municipality=vorkuta)
    for typed in ("Петрова-Водкина", "  петрова - водкина ", "ПЕТРОВА ВОДКИНА", "Петрова–Водкина"):
        found, matched = selectors.match_for_lookup(
            certificate.number, typed, certificates=certificates
        )
        assert found == certificate and matched, typed
    for typed in ("Петрова", "Водкина", "", "Петрова-Водкин"):
        found, matched = selectors.match_for_lookup(
            certificate.number, typed, certificates=certificates
        )
        assert found == certificate and not matched, typed
    assert selectors.match_for_lookup(
        "1102999999", "Петрова-Водкина", certificates=certificates
    ) == (
        None,
        False,
    )
    assert selectors.match_for_lookup("12", "x", certificates=certificates) == (None, False)
    view = selectors.provider_view(certificate)
    assert view.child_name == "Петрова-Водкина Мария Петровна" and view.age_years == 10
    assert view.is_active
    assert not {"snils", "document_number", "birth_date"} & set(vars(view))


def test_surname_key_ignores_case_yo_spaces_and_the_separator():
    assert surname_key(" Семёнова ") == surname_key("СЕМЕНОВА") == "семенова"
    assert surname_key("Мамин  Сибиряк") == surname_key("мамин-сибиряк") == "мамин-сибиряк"
    assert surname_key("О’Нил") == surname_key("о'нил")
    assert surname_key("Иванова") != surname_key("Иванов")
    assert surname_key("   ") == ""


def test_officials_look_up_their_registry_by_number(vorkuta, operator, parent, make_user):
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    view = services.look_up_certificate(actor=operator, number=certificate.number_display)
    assert view.child_name == "Иванова Мария Петровна"
    with pytest.raises(NotFound):
        services.look_up_certificate(actor=operator, number=certificate.number, surname="Петрова")
    other = make_user("operator", municipality=MunicipalityFactory(region=vorkuta.region, number=7))
    with pytest.raises(NotFound):  # another municipality's registry
        services.look_up_certificate(actor=other, number=certificate.number)
    with pytest.raises(AccessDenied):  # provider staff look up through enrolment's service
        services.look_up_certificate(
            actor=make_user("provider_staff", municipality=vorkuta), number=certificate.number
        )
    found = ActionLog.objects.filter(action="certificates.looked_up").order_by("pk")
    assert [e.details for e in found] == [
        {"number": certificate.number, "found": True},
        {"number": "", "found": False},
        {"number": "", "found": False},
    ]


def test_coverage_splits_price():
    c = selectors.coverage(
        price_kopecks=500_000, normative_kopecks=400_000, available_kopecks=450_000
    )
    assert (c.certificate_kopecks, c.copay_kopecks, c.remaining_kopecks) == (
        400_000,
        100_000,
        50_000,
    )
    c = selectors.coverage(price_kopecks=500_000, normative_kopecks=600_000, available_kopecks=0)
    assert (c.certificate_kopecks, c.copay_kopecks) == (0, 500_000)


def test_period_start_fulfils_requests_filed_while_no_period_ran(vorkuta, operator, parent):
    early = issue_certificate(operator=operator, municipality=vorkuta, parent=parent).certificate
    assert early.type == Certificate.Type.ACCOUNTING
    request = services.request_switch(actor=parent, certificate=early)
    assert request.status == SwitchRequest.Status.WAITING
    period = approved_period(vorkuta)
    services.grant_period_nominals(actor=operator, period=period)
    request.refresh_from_db()
    early.refresh_from_db()
    assert request.status == SwitchRequest.Status.FULFILLED and early.is_financing
    assert selectors.balance(early, period).granted_kopecks == NOMINAL


# ------------------------------------------------------------------ states and their links


def test_each_model_declares_its_transitions(vorkuta, operator, parent):
    """The statuses change only along the transitions the models declare."""
    approved_period(vorkuta)
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    assert {t.name for t in certificate.get_available_status_transitions()} == {
        "suspend",
        "cancel",
        "expire",
    }
    services.suspend_certificate(actor=operator, certificate=certificate, reason="Проверка")
    certificate.refresh_from_db()
    assert {t.name for t in certificate.get_available_status_transitions()} == {
        "reactivate",
        "cancel",
        "expire",
    }
    services.cancel_certificate(actor=operator, certificate=certificate, reason="Переезд")
    certificate.refresh_from_db()
    assert list(certificate.get_available_status_transitions()) == []
    assert certificate.status_reason == "Переезд" and certificate.status_changed_at is not None
    application = certificate.application
    application.refresh_from_db()
    assert list(application.get_available_status_transitions()) == []
    assert application.decided_by == operator and application.decided_at is not None


def test_notification_links_are_the_pages_urls(vorkuta, operator, parent):
    approved_period(vorkuta)
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    issued = Notification.objects.get(user=parent, subject="Сертификат выдан")
    assert issued.link == reverse("family:certificate", args=[certificate.pk])
    rejected = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data(first_name="Пётр")
    )
    services.reject_application(actor=operator, application=rejected, reason="Нет документов")
    notice = Notification.objects.get(user=parent, subject="Заявление на сертификат отклонено")
    assert notice.link == reverse("accounts:home_parent")


def test_switch_refusal_names_the_reason(vorkuta, operator, parent):
    approved_period(vorkuta, quota=1)
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    accounting = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, first_name="Пётр"
    ).certificate
    assert services.switch_refusal(accounting) is None
    services.request_switch(actor=parent, certificate=accounting)
    waiting = services.switch_refusal(accounting)
    assert waiting is not None and waiting.code == "already_waiting"
    services.suspend_certificate(actor=operator, certificate=accounting, reason="Проверка")
    accounting.refresh_from_db()
    suspended = services.switch_refusal(accounting)
    assert suspended.message == "Сертификат приостановлен: перевод невозможен."
