"""Operator's certificate pages: registry, card and its actions, queue, decisions, printable
certificate with the one-time password, in-person registration, period page; the provider's
certificate look-up."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

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
from pfdo.common import clock
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 28)
NOMINAL = 2_417_100

pytestmark = pytest.mark.django_db

REGISTRY = "/cabinet/certificates/"
QUEUE = "/cabinet/certificate-applications/"
REGISTER = "/cabinet/certificate-applications/new/"
LOOKUP = "/cabinet/provider/certificate-lookup/"


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def inta(region):
    return MunicipalityFactory(region=region, code="inta", name="Инта", number=3)


@pytest.fixture
def stranger(make_user, inta):
    """An operator of another municipality of the same region."""
    return make_user("operator", municipality=inta)


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def parent(vorkuta):
    return services.register_parent(
        actor=None,
        municipality=vorkuta,
        last_name="Иванова",
        first_name="Анна",
        email="anna@example.org",
    )


@pytest.fixture
def issued(operator, vorkuta, parent, period):
    return issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, last_name="Сидорова"
    )


@pytest.fixture
def certificate(issued):
    return issued.certificate


@pytest.fixture
def application(vorkuta, parent):
    return services.apply_for_certificate(
        actor=parent,
        municipality=vorkuta,
        parent=parent,
        child=child_data(last_name="Кузнецов", first_name="Пётр", sex="m"),
    )


def login(client, user):
    user.refresh_from_db()  # an issued password changes the session hash
    client.force_login(user)
    return client


def text_of(response) -> str:
    return response.content.decode()


def errors_of(response, field, prefix=""):
    """Messages rendered under a field on the page."""
    name = f"{prefix}-{field}" if prefix else field
    match = re.search(rf'id="id_{name}_errors">(.*?)</ul>', text_of(response), re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ---------------------------------------------------------------------------- registry


def test_registry_lists_certificates_with_balance_and_quota_summary(client, operator, certificate):
    response = login(client, operator).get(REGISTRY)
    assert response.status_code == 200
    text = text_of(response)
    assert certificate.number_display in text
    assert "Сидорова Мария Петровна" in text
    assert "24\u00a0171,00\u00a0₽" in text  # available in the current period
    assert reverse("certificates:detail", args=[certificate.pk]) in text
    usage = response.context["usage"]
    assert usage.financing_issued == 1 and usage.quota == 100 and usage.quota_free == 99
    assert 'data-testid="financing-issued">1 из 100' in text
    assert "Начислено на сертификаты" in text


def test_registry_search_by_number_and_surname(client, operator, vorkuta, parent, certificate):
    other = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, last_name="Морозова"
    ).certificate
    client = login(client, operator)
    by_number = client.get(REGISTRY, {"q": certificate.number_display})
    assert [c.pk for c in by_number.context["certificates"]] == [certificate.pk]
    by_prefix = client.get(REGISTRY, {"q": certificate.number[:6]})
    assert {c.pk for c in by_prefix.context["certificates"]} == {certificate.pk, other.pk}
    by_name = client.get(REGISTRY, {"q": "морозова мария"})
    assert [c.pk for c in by_name.context["certificates"]] == [other.pk]
    nothing = client.get(REGISTRY, {"q": "Васильев"})
    assert list(nothing.context["certificates"]) == []


def test_registry_exact_search_by_snils_and_document_by_post(
    client, operator, vorkuta, parent, period
):
    snils = valid_snils()
    target = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, snils=snils, last_name="Орлова"
    ).certificate
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent, last_name="Белова")
    client = login(client, operator)
    digits = snils.replace("-", "").replace(" ", "")
    found = client.post(REGISTRY, {"snils": digits})
    assert found.status_code == 200
    assert [c.pk for c in found.context["certificates"]] == [target.pk]
    by_document = client.post(
        REGISTRY,
        {"document_type": "birth_certificate", "document_number": target.child.document_number},
    )
    assert [c.pk for c in by_document.context["certificates"]] == [target.pk]
    # A part of the number finds nothing: the search is by exact keyed hash, never LIKE.
    partial = client.post(REGISTRY, {"snils": digits[:9] + "00"})
    assert list(partial.context["certificates"]) == []
    empty = client.post(REGISTRY, {})
    assert "Укажите СНИЛС или номер документа." in text_of(empty)


def test_registry_filters_by_type_status_and_municipality(
    client, make_user, region, vorkuta, inta, operator, parent, period
):
    financing = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    accounting = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, wants_financing=False
    ).certificate
    services.suspend_certificate(actor=operator, certificate=accounting, reason="Проверка")
    inta_operator = make_user("operator", municipality=inta)
    inta_parent = services.register_parent(
        actor=None, municipality=inta, last_name="Котова", first_name="Ольга"
    )
    in_inta = issue_certificate(
        operator=inta_operator, municipality=inta, parent=inta_parent
    ).certificate
    client = login(client, operator)
    by_type = client.get(REGISTRY, {"type": "accounting"})
    assert [c.pk for c in by_type.context["certificates"]] == [accounting.pk]
    by_status = client.get(REGISTRY, {"status": "active"})
    assert [c.pk for c in by_status.context["certificates"]] == [financing.pk]
    # The operator has no municipality to choose and never sees Inta.
    assert "municipality" not in by_status.context["filter_form"].fields
    admin = make_user("regional_admin", region=region)
    client.force_login(admin)
    everything = client.get(REGISTRY)
    assert {c.pk for c in everything.context["certificates"]} == {
        financing.pk,
        accounting.pk,
        in_inta.pk,
    }
    only_inta = client.get(REGISTRY, {"municipality": inta.pk})
    assert [c.pk for c in only_inta.context["certificates"]] == [in_inta.pk]
    assert only_inta.context["summary_municipality"] == inta


def test_registry_has_no_n_plus_one(
    client, operator, vorkuta, parent, period, django_assert_max_num_queries
):
    for n in range(30):
        issue_certificate(
            operator=operator, municipality=vorkuta, parent=parent, first_name=f"Ребёнок{n}"
        )
    client = login(client, operator)
    client.get(REGISTRY)  # warm the session
    with django_assert_max_num_queries(18) as captured:
        response = client.get(REGISTRY)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 30
    assert all(money.available_kopecks == NOMINAL for _, money in response.context["rows"])
    # The same count for a single certificate: nothing grows with the page.
    single = len(captured.captured_queries)
    with django_assert_max_num_queries(single):
        client.get(REGISTRY, {"q": "Ребёнок7"})


# ------------------------------------------------------------------ access for others


@pytest.fixture
def pages(certificate, application, period):
    return {
        "registry": REGISTRY,
        "detail": reverse("certificates:detail", args=[certificate.pk]),
        "print": reverse("certificates:print", args=[certificate.pk]),
        "queue": QUEUE,
        "application": reverse("certificates:application", args=[application.pk]),
        "register": REGISTER,
        "period": reverse("certificates:period", args=[period.pk]),
        "import": reverse("certificates:import"),
        "import_template": reverse("certificates:import_template"),
    }


def test_every_page_opens_for_the_operator(client, operator, pages):
    client = login(client, operator)
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name


@pytest.mark.parametrize("role", ["parent", "provider_staff"])
def test_parent_and_provider_get_403_everywhere(client, make_user, vorkuta, pages, role, issued):
    user = make_user(role, municipality=vorkuta)
    client = login(client, user)
    for name, url in pages.items():
        assert client.get(url).status_code == 403, name


def settled(user):
    """A parent who already replaced the issued password (so no redirect to change it)."""
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    return user


def test_the_parent_of_the_child_cannot_open_the_operator_card(client, parent, certificate):
    client = login(client, settled(parent))
    response = client.get(reverse("certificates:detail", args=[certificate.pk]))
    assert response.status_code == 403
    assert certificate.child.snils not in text_of(response)


def test_operator_of_another_municipality_sees_nothing(client, stranger, certificate, pages):
    client = login(client, stranger)
    # Another municipality's certificate, its print and application are not found for her;
    # another municipality's period is refused.
    for name, status in (("detail", 404), ("print", 404), ("application", 404), ("period", 403)):
        response = client.get(pages[name])
        assert response.status_code == status, name
        assert certificate.child.last_name not in text_of(response)
    registry = client.get(REGISTRY)
    assert registry.status_code == 200 and list(registry.context["certificates"]) == []
    assert certificate.number_display not in text_of(registry)
    queue = client.get(QUEUE)
    assert list(queue.context["applications"]) == []
    # Actions are refused the same way.
    cancel = client.post(
        reverse("certificates:cancel", args=[certificate.pk]),
        {"cancel-reason": "x", "cancel-confirm": "on"},
    )
    assert cancel.status_code == 404
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE


def test_superuser_sees_every_municipality_and_the_admin_hides_identifiers(
    client, make_user, certificate
):
    admin = make_user(is_superuser=True, is_staff=True)
    client = login(client, admin)
    registry = client.get(REGISTRY)
    assert [c.pk for c in registry.context["certificates"]] == [certificate.pk]
    child = certificate.child
    for url in (
        "/admin/certificates/child/",
        f"/admin/certificates/child/{child.pk}/change/",
        "/admin/certificates/certificate/",
        f"/admin/certificates/certificate/{certificate.pk}/change/",
        "/admin/certificates/certificateapplication/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        text = text_of(response)
        assert child.snils not in text and child.document_number not in text, url


def test_anonymous_is_sent_to_login(client, pages):
    for url in (pages["registry"], pages["detail"], LOOKUP):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url


# ------------------------------------------------------------------------ certificate card


def test_card_shows_child_money_representatives_and_logs_the_read(
    client, operator, certificate, parent, period
):
    response = login(client, operator).get(reverse("certificates:detail", args=[certificate.pk]))
    assert response.status_code == 200
    text = text_of(response)
    child = certificate.child
    assert child.snils_display in text and child.document_number in text
    assert parent.username in text and "мать" in text
    assert "сертификат финансирования" in text
    assert certificate.type_reason in text
    assert "Начисление номинала" in text  # the statement
    assert response.context["period_balances"][0][1].granted_kopecks == NOMINAL
    access = PersonalDataAccess.objects.get(subject_id=str(child.pk))
    assert access.actor == operator and access.purpose == "certificate_card"
    assert access.subject_type == "certificates.child"


def test_suspend_reactivate_cancel_through_the_pages(client, operator, certificate, period):
    client = login(client, operator)
    detail = reverse("certificates:detail", args=[certificate.pk])
    no_reason = client.post(reverse("certificates:suspend", args=[certificate.pk]), {})
    assert no_reason.status_code == 200
    assert errors_of(no_reason, "reason", "suspend") == ["Укажите причину."]
    suspended = client.post(
        reverse("certificates:suspend", args=[certificate.pk]),
        {"suspend-reason": "Проверка документов"},
    )
    assert suspended.status_code == 302 and suspended.url == detail
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.SUSPENDED
    assert certificate.status_reason == "Проверка документов"

    reactivated = client.post(reverse("certificates:reactivate", args=[certificate.pk]), {})
    assert reactivated.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE

    unconfirmed = client.post(
        reverse("certificates:cancel", args=[certificate.pk]), {"cancel-reason": "Переезд"}
    )
    assert errors_of(unconfirmed, "confirm", "cancel") == ["Подтвердите аннулирование."]
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE

    cancelled = client.post(
        reverse("certificates:cancel", args=[certificate.pk]),
        {"cancel-reason": "Переезд", "cancel-confirm": "on"},
    )
    assert cancelled.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.CANCELLED
    money = selectors.balance(certificate, period)
    assert money.available_kopecks == 0 and money.returned_kopecks == NOMINAL
    after = client.get(detail)
    assert "Сертификат аннулирован; неиспользованный остаток возвращён в бюджет." in messages_of(
        after
    )
    assert after.context["cancel_form"] is None


def test_refused_transition_is_shown_not_500(client, operator, certificate):
    client = login(client, operator)
    response = client.post(reverse("certificates:reactivate", args=[certificate.pk]), {})
    assert response.status_code == 200
    assert "Возобновить можно только приостановленный сертификат" in text_of(response)


def test_reissued_password_is_shown_once_on_the_print_page(client, operator, certificate, parent):
    client = login(client, operator)
    response = client.post(
        reverse("certificates:reissue_password", args=[certificate.pk]),
        {"password-parent": str(parent.pk)},
    )
    print_url = reverse("certificates:print", args=[certificate.pk])
    assert response.status_code == 302 and response.url == print_url
    first = client.get(print_url)
    password = first.context["handed"]["password"]
    parent.refresh_from_db()
    assert parent.check_password(password) and parent.must_change_password
    assert password in text_of(first) and "no-store" in first["Cache-Control"]
    again = client.get(print_url)
    assert password not in text_of(again)
    assert "Пароль показывается один раз; при утере выдайте новый" in text_of(again)


# ---------------------------------------------------------------------------- applications


def test_queue_lists_open_applications_oldest_first_with_duplicate_flag(
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
    assert [a.pk for a, _ in response.context["rows"]] == [first.pk, twin.pk]
    assert dict((a.pk, n) for a, n in response.context["rows"]) == {first.pk: 1, twin.pk: 1}
    assert "возможный дубликат" in text_of(response)
    only_rejected = client.get(QUEUE, {"status": "rejected"})
    assert [a.pk for a, _ in only_rejected.context["rows"]] == [rejected.pk]


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
    assert "@media print" in text
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
        # Expiry frees the place but does not hand it on: the operator runs the queue.
        assert services.expire_certificates() == 1
        request.refresh_from_db()
        assert request.status == SwitchRequest.Status.WAITING
        done = client.post(reverse("certificates:period_fulfil", args=[period.pk]), follow=True)
        assert "Выполнено запросов на перевод: 1." in messages_of(done)
    request.refresh_from_db()
    assert request.status == SwitchRequest.Status.FULFILLED
    accounting.certificate.refresh_from_db()
    assert accounting.certificate.is_financing
    assert turning_18.certificate.pk != accounting.certificate.pk


# --------------------------------------------------------------------------- the look-up


def test_provider_looks_up_a_certificate_without_identifiers(
    client, make_user, vorkuta, certificate
):
    provider = make_user("provider_staff", municipality=vorkuta)
    client = login(client, provider)
    assert client.get(LOOKUP).status_code == 200
    response = client.post(LOOKUP, {"number": certificate.number_display})
    assert response.status_code == 200
    text = text_of(response)
    child = certificate.child
    assert "Сидорова Мария Петровна" in text
    assert f"{child.age_years()} лет" in text
    assert "сертификат финансирования" in text
    assert 'data-testid="active"><strong>да' in text
    for secret in (
        child.snils,
        child.snils_display,
        child.document_number,
        child.document_number.split()[-1],
        child.birth_date.strftime("%d.%m.%Y"),
    ):
        assert secret not in text
    log = ActionLog.objects.get(action="certificates.looked_up")
    assert log.actor == provider and log.details == {"number": certificate.number, "found": True}


def test_lookup_of_an_unknown_number_is_a_field_error(client, make_user, vorkuta, certificate):
    provider = make_user("provider_staff", municipality=vorkuta)
    response = login(client, provider).post(LOOKUP, {"number": "1102999999"})
    assert errors_of(response, "number") == ["Сертификат с таким номером не найден."]
    bad = client.post(LOOKUP, {"number": "12345"})
    assert errors_of(bad, "number") == ["Номер сертификата — 10 цифр."]


def test_lookup_shows_a_suspended_certificate_as_not_active(client, operator, certificate):
    services.suspend_certificate(actor=operator, certificate=certificate, reason="Проверка")
    response = login(client, operator).post(LOOKUP, {"number": certificate.number})
    assert 'data-testid="active"><strong>нет' in text_of(response)


def test_parent_may_not_use_the_lookup(client, parent, certificate):
    assert login(client, settled(parent)).get(LOOKUP).status_code == 403
