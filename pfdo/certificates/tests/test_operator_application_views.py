"""Operator's certificate pages, the application side: queue and decisions, registration at
the desk, the period page, and the provider's look-up."""

# ruff: noqa: F811  (fixtures are imported from the support module and requested by name)

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from pfdo.accounts.models import Notification, User
from pfdo.audit.models import ActionLog, PersonalDataAccess
from pfdo.certificates import selectors, services
from pfdo.certificates.models import Certificate, CertificateApplication, Child, SwitchRequest
from pfdo.certificates.tests.factories import (
    approved_period,
    child_data,
    issue_certificate,
    valid_snils,
)
from pfdo.certificates.tests.operator_pages_support import (  # noqa: F401  (fixtures by name)
    LOOKUP,
    NOMINAL,
    QUEUE,
    REGISTER,
    TODAY,
    _today,
    application,
    certificate,
    errors_of,
    issued,
    login,
    messages_of,
    parent,
    period,
    settled,
    text_of,
)
from pfdo.common import clock

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------- applications


def test_queue_lists_open_applications_newest_first_with_duplicate_flag(
    client, operator, vorkuta, parent
):
    first = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data(last_name="Первая")
    )
    with clock.frozen(TODAY + dt.timedelta(hours=1)):
        twin = services.apply_for_certificate(
            actor=parent,
            municipality=vorkuta,
            parent=parent,
            child=child_data(last_name="Вторая", document_number=first.child.document_number),
        )
    with clock.frozen(TODAY + dt.timedelta(hours=2)):
        rejected = services.apply_for_certificate(
            actor=parent, municipality=vorkuta, parent=parent, child=child_data(last_name="Третья")
        )
    services.reject_application(actor=operator, application=rejected, reason="Нет документов")
    client = login(client, operator)
    response = client.get(QUEUE)
    assert response.status_code == 200
    # Newest first by default (the queue listed the oldest first); the old order on request.
    assert [a.pk for a, _ in response.context["rows"]] == [twin.pk, first.pk]
    assert dict((a.pk, n) for a, n in response.context["rows"]) == {first.pk: 1, twin.pk: 1}
    assert "возможный дубликат" in text_of(response)
    oldest = client.get(QUEUE, {"ordering": "created_at"})
    assert [a.pk for a, _ in oldest.context["rows"]] == [first.pk, twin.pk]
    only_rejected = client.get(QUEUE, {"status": "rejected"})
    assert [a.pk for a, _ in only_rejected.context["rows"]] == [rejected.pk]


def test_queue_searches_by_number_or_surname_within_the_operators_municipality(
    client, operator, vorkuta, parent, make_user
):
    from pfdo.territory.tests.factories import MunicipalityFactory

    mine = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data(last_name="Сидорова")
    )
    other = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data(last_name="Петрова")
    )
    inta = MunicipalityFactory(code="inta", name="Инта", number=4)
    elsewhere = services.apply_for_certificate(
        actor=parent, municipality=inta, parent=parent, child=child_data(last_name="Сидорова")
    )
    client = login(client, operator)

    def found(**query):
        return [a.pk for a, _ in client.get(QUEUE, query).context["rows"]]

    assert found(q="сидорова") == [mine.pk]  # Инта's Сидорова is not the operator's to see
    assert found(q=str(other.pk)) == [other.pk]
    assert found(q=f"№ {mine.pk}") == [mine.pk]
    assert found(q=str(elsewhere.pk)) == []
    page = text_of(client.get(QUEUE, {"q": "Сидорова"}))
    assert "Найдено заявлений: 1" in page and 'value="Сидорова"' in page
    # The API's list takes the same filter, in the same scope.
    api = APIClient()
    api.force_authenticate(operator)
    listed = api.get("/api/v1/certificate-applications/", {"q": "Сидорова"})
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [mine.pk]
    ordered = api.get("/api/v1/certificate-applications/", {"ordering": "created_at"}).json()
    assert [row["id"] for row in ordered["results"]] == [mine.pk, other.pk]
    bad = api.get("/api/v1/certificate-applications/", {"ordering": "name"})
    assert bad.status_code == 400


def test_application_page_shows_child_parent_and_duplicates(
    client, operator, vorkuta, parent, application, period
):
    earlier = issue_certificate(
        operator=operator,
        municipality=vorkuta,
        parent=parent,
        document_number=application.child.document_number,
        last_name="Ранняя",
    ).certificate
    response = login(client, operator).get(
        reverse("certificates:application", args=[application.pk])
    )
    text = text_of(response)
    assert response.status_code == 200
    assert application.child.snils_display in text and parent.username in text
    assert [c.pk for c in response.context["duplicates"]] == [earlier.child_id]
    assert reverse("certificates:detail", args=[earlier.pk]) in text
    assert "Возможные дубликаты: 1" in text
    assert PersonalDataAccess.objects.filter(
        subject_id=str(application.child_id), purpose="certificate_application"
    ).exists()


def test_verify_then_approve_shows_the_password_once(client, operator, application, parent, period):
    client = login(client, operator)
    page = reverse("certificates:application", args=[application.pk])
    verified = client.post(reverse("certificates:application_verify", args=[application.pk]))
    assert verified.status_code == 302 and verified.url == page
    application.refresh_from_db()
    assert application.status == CertificateApplication.Status.VERIFIED

    approved = client.post(reverse("certificates:application_approve", args=[application.pk]))
    certificate = Certificate.objects.get(application=application)
    print_url = reverse("certificates:print", args=[certificate.pk])
    assert approved.status_code == 302 and approved.url == print_url
    first = client.get(print_url)
    text = text_of(first)
    password = first.context["handed"]["password"]
    assert password and password in text
    assert 'data-testid="issued-password"' in text
    assert "сменить при первом входе" in text
    assert certificate.number_display in text and parent.username in text
    assert "css/certificate-print.css" in text  # its print styles
    parent.refresh_from_db()
    assert parent.check_password(password)
    # Nowhere else: not in the URL, not in notifications, not in the audit log.
    assert password not in approved.url
    assert not Notification.objects.filter(body__contains=password).exists()
    assert not ActionLog.objects.filter(details__icontains=password).exists()
    reload = client.get(print_url)
    assert password not in text_of(reload)
    assert "Пароль показывается один раз; при утере выдайте новый" in text_of(reload)
    assert reload.context["handed"] is None


def test_reject_without_reason_shows_the_field_error(client, operator, application):
    client = login(client, operator)
    url = reverse("certificates:application_reject", args=[application.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert errors_of(response, "reason") == ["Укажите причину отказа."]
    application.refresh_from_db()
    assert application.status == CertificateApplication.Status.APPLIED
    done = client.post(url, {"reason": "Не представлен СНИЛС"})
    assert done.status_code == 302 and done.url == QUEUE
    application.refresh_from_db()
    assert application.status == CertificateApplication.Status.REJECTED
    assert application.reason == "Не представлен СНИЛС"


def test_approving_a_decided_application_says_why(client, operator, application, period):
    client = login(client, operator)
    url = reverse("certificates:application_approve", args=[application.pk])
    client.post(url)
    again = client.post(url, follow=True)
    assert any("Заявление уже" in m for m in messages_of(again))
    assert Certificate.objects.filter(application=application).count() == 1


# ------------------------------------------------------------------ in-person registration


def registration(**overrides):
    data = {
        "parent_last_name": "Смирнова",
        "parent_first_name": "Елена",
        "parent_patronymic": "Ивановна",
        "email": "smirnova@example.org",
        "phone": "+7 912 345-67-89",
        "relation": "mother",
        "last_name": "Смирнов",
        "first_name": "Илья",
        "patronymic": "Андреевич",
        "birth_date": "2015-03-02",
        "sex": "m",
        "document_type": "birth_certificate",
        "document_number": "II-ЕА 654321",
        "snils": valid_snils(),
        "wants_financing": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_register_family_files_an_in_person_application(client, operator):
    response = login(client, operator).post(REGISTER, registration())
    application = CertificateApplication.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("certificates:application", args=[application.pk])
    assert application.channel == CertificateApplication.Channel.IN_PERSON
    assert application.parent.email == "smirnova@example.org"
    assert not application.parent.has_usable_password()  # issued with the certificate


def test_register_and_approve_at_once_prints_the_password(client, operator, period):
    client = login(client, operator)
    response = client.post(REGISTER, registration(approve_now="on"))
    certificate = Certificate.objects.get()
    assert response.url == reverse("certificates:print", args=[certificate.pk])
    printed = client.get(response.url)
    password = printed.context["handed"]["password"]
    assert password in text_of(printed)
    assert certificate.application.parent.check_password(password)
    assert certificate.type == Certificate.Type.FINANCING


def test_bad_child_data_leaves_no_parent_account_behind(client, operator):
    users = User.objects.count()
    response = login(client, operator).post(
        REGISTER,
        registration(snils="112-233-445 96", document_number="12345", parent_first_name=""),
    )
    assert response.status_code == 200
    assert "контрольное число" in errors_of(response, "snils")[0]
    assert "Свидетельство о рождении" in errors_of(response, "document_number")[0]
    assert errors_of(response, "parent_first_name") == ["Укажите имя."]
    assert User.objects.count() == users
    assert Child.objects.count() == 0 and CertificateApplication.objects.count() == 0


def test_bad_child_age_with_good_parent_also_leaves_nothing(client, operator):
    users = User.objects.count()
    response = login(client, operator).post(REGISTER, registration(birth_date="2023-01-01"))
    assert "от 5 до 18 лет" in errors_of(response, "birth_date")[0]
    assert User.objects.count() == users


def test_register_with_an_existing_parent_login(client, operator, parent):
    response = login(client, operator).post(
        REGISTER,
        registration(parent_login=parent.username.upper(), parent_last_name="", email=""),
    )
    assert response.status_code == 302
    application = CertificateApplication.objects.get()
    assert application.parent == parent
    unknown = client.post(REGISTER, registration(parent_login="nobody-here"))
    assert errors_of(unknown, "parent_login") == ["Родитель с таким логином не найден."]


def test_duplicate_snils_at_the_desk_is_a_field_error(client, operator, certificate):
    response = login(client, operator).post(
        REGISTER, registration(snils=certificate.child.snils, email="other@example.org")
    )
    assert response.status_code == 200
    assert "уже получил сертификат" in errors_of(response, "snils")[0]
    assert not User.objects.filter(email="other@example.org").exists()


# ---------------------------------------------------------------------------------- period


def test_period_page_shows_usage_and_grants_nominals_once(client, operator, vorkuta, parent):
    with clock.frozen(dt.date(2026, 3, 1)):
        last_year = approved_period(
            vorkuta,
            name="ПФДО 2025/26",
            starts_on=dt.date(2025, 9, 1),
            ends_on=dt.date(2026, 8, 31),
        )
        carried = issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    assert selectors.balance(carried.certificate, last_year).granted_kopecks == NOMINAL
    period = approved_period(vorkuta)
    client = login(client, operator)
    url = reverse("certificates:period", args=[period.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["usage"].financing_issued == 1
    assert page.context["is_current"]
    assert "Начислить номиналы периода" in text_of(page)
    granted = client.post(reverse("certificates:period_grant", args=[period.pk]), follow=True)
    assert "Начислено номиналов: 1." in messages_of(granted)
    assert selectors.balance(carried.certificate, period).granted_kopecks == NOMINAL
    again = client.post(reverse("certificates:period_grant", args=[period.pk]), follow=True)
    assert "Новых начислений нет: всем уже начислено." in messages_of(again)
    assert selectors.balance(carried.certificate, period).granted_kopecks == NOMINAL


def test_period_page_lists_waiting_switches_and_fulfils_them(client, operator, vorkuta, parent):
    period = approved_period(vorkuta, quota=1)
    # The only financing place goes to a child who turns 18 in January.
    turning_18 = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, birth_date=dt.date(2009, 1, 10)
    )
    accounting = issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    services.request_switch(actor=parent, certificate=accounting.certificate)
    request = SwitchRequest.objects.get()
    assert request.status == SwitchRequest.Status.WAITING
    client = login(client, operator)
    url = reverse("certificates:period", args=[period.pk])
    page = client.get(url)
    assert page.context["waiting_count"] == 1
    assert accounting.certificate.number_display in text_of(page)
    assert "Выполнить запросы по очереди" in text_of(page)
    none_yet = client.post(reverse("certificates:period_fulfil", args=[period.pk]), follow=True)
    assert any("Ни один запрос не выполнен" in m for m in messages_of(none_yet))
    with clock.frozen(dt.date(2027, 2, 1)):
        # Issue 12: expiry hands the freed place to the oldest waiting request itself.
        assert services.expire_certificates() == 1
        request.refresh_from_db()
        assert request.status == SwitchRequest.Status.FULFILLED
        done = client.post(reverse("certificates:period_fulfil", args=[period.pk]), follow=True)
        assert any("Ни один запрос не выполнен" in m for m in messages_of(done))
    request.refresh_from_db()
    assert request.status == SwitchRequest.Status.FULFILLED
    accounting.certificate.refresh_from_db()
    assert accounting.certificate.is_financing
    assert turning_18.certificate.pk != accounting.certificate.pk


# --------------------------------------------------------------------------- the look-up


# Provider staff's look-up (number and surname): enrolment/tests/test_lookup.py. The operator
# keeps looking up the municipality's registry by number alone.


def test_operator_looks_up_by_number_alone(client, operator, certificate):
    response = login(client, operator).post(LOOKUP, {"number": certificate.number_display})
    assert response.status_code == 200
    assert "Сидорова Мария Петровна" in text_of(response)
    log = ActionLog.objects.get(action="certificates.looked_up")
    assert log.actor == operator and log.details == {"number": certificate.number, "found": True}


def test_lookup_shows_a_suspended_certificate_as_not_active(client, operator, certificate):
    services.suspend_certificate(actor=operator, certificate=certificate, reason="Проверка")
    response = login(client, operator).post(LOOKUP, {"number": certificate.number})
    assert 'data-testid="active"><strong>нет' in text_of(response)


def test_parent_may_not_use_the_lookup(client, parent, certificate):
    assert login(client, settled(parent)).get(LOOKUP).status_code == 403
