"""Parent's pages: online application, one more child, the cabinet, certificate page, switch."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from pfdo.accounts.models import Notification
from pfdo.accounts.tests.factories import PASSWORD
from pfdo.certificates import services
from pfdo.certificates.models import Certificate, CertificateApplication, Child, SwitchRequest
from pfdo.certificates.tests.factories import (
    approved_period,
    child_data,
    issue_certificate,
    valid_snils,
)
from pfdo.common import clock
from pfdo.ledger import services as ledger
from pfdo.ledger.models import Account, Transfer

pytestmark = pytest.mark.django_db

User = get_user_model()
TODAY = dt.date(2026, 11, 28)
NBSP = "\u00a0"
APPLY = reverse("family:apply")
APPLIED = reverse("family:applied")
HOME = reverse("family:home")
ADD_CHILD = reverse("family:add_child")


def rub(text: str) -> str:
    """'24 171,00' → '24 171,00 ₽' with the no-break spaces of the money filter."""
    return text.replace(" ", NBSP) + NBSP + "₽"


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def parent(make_user, vorkuta):
    return make_user("parent", municipality=vorkuta, email="mama@example.org")


def registration(municipality, **overrides) -> dict:
    """The POST of the online application form: a parent and a valid child."""
    child = child_data()
    data = {
        "municipality": municipality.pk,
        "parent_last_name": "Иванова",
        "parent_first_name": "Анна",
        "parent_patronymic": "Сергеевна",
        "email": "anna@example.org",
        "phone": "+7 912 345-67-89",
        "relation": "mother",
        "last_name": child["last_name"],
        "first_name": child["first_name"],
        "patronymic": child["patronymic"],
        "birth_date": child["birth_date"].isoformat(),
        "sex": child["sex"],
        "document_type": child["document_type"],
        "document_number": child["document_number"],
        "snils": child["snils"],
        "wants_financing": "on",
        "consent": "on",
        "once": uuid.uuid4().hex,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def child_post(**overrides) -> dict:
    """The POST of the in-cabinet form for one more child."""
    child = child_data(**overrides)
    data = {
        "relation": "mother",
        "last_name": child["last_name"],
        "first_name": child["first_name"],
        "patronymic": child["patronymic"],
        "birth_date": child["birth_date"].isoformat(),
        "sex": child["sex"],
        "document_type": child["document_type"],
        "document_number": child["document_number"],
        "snils": child["snils"],
        "wants_financing": "on",
        "once": uuid.uuid4().hex,
    }
    return data


def field_errors(html: str, name: str) -> str:
    match = re.search(rf'<ul class="errorlist" id="id_{name}_errors"[^>]*>(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


# ------------------------------------------------------------------ online application


def test_apply_page_preselects_the_only_municipality_and_explains_the_types(client, vorkuta):
    response = client.get(APPLY)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{vorkuta.pk}" selected>' in html
    assert "Сертификат учёта — денег на нём нет" in html
    assert 'name="wants_financing" checked' in html or (
        'name="wants_financing"' in html and "checked" in html
    )
    assert 'name="once"' in html
    assert reverse("accounts:password_reset") in html


def test_anonymous_registration_creates_one_parent_without_password_and_one_application(
    client, vorkuta, django_capture_on_commit_callbacks
):
    users_before = User.objects.count()
    data = registration(vorkuta)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY, data)
    assert response.status_code == 302 and response.url == APPLIED
    assert User.objects.count() == users_before + 1
    parent = User.objects.get(email="anna@example.org")
    assert not parent.has_usable_password()
    assert parent.has_role("parent")
    assert parent.last_name == "Иванова" and parent.phone == "+7 912 345-67-89"
    application = CertificateApplication.objects.get()
    assert application.parent == parent
    assert application.channel == CertificateApplication.Channel.ONLINE
    assert application.wants_financing is True
    assert application.child.guardianships.get().relation == "mother"

    page = client.get(APPLIED).content.decode()
    assert f"Заявление №{application.pk} подано" in page
    assert parent.username in page
    assert "anna@example.org" in page
    assert "нескольких рабочих дней" in page
    assert "сменить" in page
    assert reverse("accounts:password_reset") in page
    # The number and the login also come by e-mail, after the commit.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.org"]
    assert f"№{application.pk}" in mail.outbox[0].subject
    assert parent.username in mail.outbox[0].body


def test_applied_page_without_an_application_goes_back_to_the_form(client, db):
    response = client.get(APPLIED)
    assert response.status_code == 302 and response.url == APPLY


def test_bad_snils_age_and_missing_consent_are_field_errors_and_create_nobody(client, vorkuta):
    users_before = User.objects.count()
    data = registration(
        vorkuta, snils="112-233-445 00", birth_date="2024-01-10", consent=None, email=""
    )
    response = client.post(APPLY, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "контрольное число" in field_errors(html, "snils")
    assert "от 5 до 18 лет" in field_errors(html, "birth_date")
    assert "согласия" in field_errors(html, "consent")
    assert "почты" in field_errors(html, "email")
    assert User.objects.count() == users_before
    assert not Child.objects.exists()
    assert not CertificateApplication.objects.exists()


def test_a_child_refused_by_the_service_leaves_no_account_behind(client, vorkuta, operator, period):
    # The child already has a certificate (filed by another parent): the form is fine, the
    # service refuses the duplicate after the account was created, and it is rolled back.
    other = services.register_parent(
        actor=None, municipality=vorkuta, last_name="Петров", first_name="Иван"
    )
    snils = valid_snils()
    issue_certificate(operator=operator, municipality=vorkuta, parent=other, snils=snils)
    users_before = User.objects.count()
    response = client.post(APPLY, registration(vorkuta, snils=snils))
    assert response.status_code == 200
    assert "уже" in field_errors(response.content.decode(), "snils")
    assert User.objects.count() == users_before
    assert not User.objects.filter(email="anna@example.org").exists()


def test_registered_email_is_a_field_error_with_login_and_recovery_links(client, vorkuta, parent):
    response = client.post(APPLY, registration(vorkuta, email="MAMA@example.org"))
    html = response.content.decode()
    assert "уже зарегистрирован" in field_errors(html, "email")
    assert reverse("accounts:password_reset") in html
    assert not CertificateApplication.objects.exists()


def test_after_a_rejection_the_same_person_applies_again_with_the_same_account(
    client, vorkuta, operator
):
    client.post(APPLY, registration(vorkuta))
    first = CertificateApplication.objects.get()
    services.reject_application(actor=operator, application=first, reason="Нечитаемый СНИЛС")
    again = client.post(APPLY, registration(vorkuta, email="Anna@Example.org"))
    assert again.status_code == 302
    assert User.objects.filter(email="anna@example.org").count() == 1
    second = CertificateApplication.objects.latest("pk")
    assert second.pk != first.pk and second.parent == first.parent
    assert second.status == CertificateApplication.Status.APPLIED
    # Someone else with that e-mail is not let in.
    other = client.post(APPLY, registration(vorkuta, parent_first_name="Ольга"))
    assert "уже зарегистрирован" in field_errors(other.content.decode(), "email")
    assert CertificateApplication.objects.count() == 2


def test_double_submit_creates_one_application(client, vorkuta):
    data = registration(vorkuta)
    first = client.post(APPLY, data)
    assert first.status_code == 302
    # The same page posted again (a reload or the back button): the first answer again.
    again = client.post(APPLY, data, follow=True)
    assert again.redirect_chain[-1][0] == APPLIED
    assert "уже подано" in again.content.decode()
    # A stale copy of the form (another token) with the same family: a message, not a 500.
    stale = client.post(APPLY, {**data, "once": uuid.uuid4().hex})
    assert stale.status_code == 200
    assert "уже подано" in stale.content.decode()
    assert CertificateApplication.objects.count() == 1
    assert User.objects.filter(email="anna@example.org").count() == 1


def test_signed_in_parent_is_sent_to_the_cabinet_form(client, parent):
    client.force_login(parent)
    response = client.get(APPLY)
    assert response.status_code == 302 and response.url == ADD_CHILD


def test_signed_in_official_is_told_to_sign_out(client, operator):
    client.force_login(operator)
    response = client.get(APPLY)
    assert response.status_code == 200
    assert "выйдите" in response.content.decode()
    assert client.post(APPLY, {}).status_code == 200
    assert not CertificateApplication.objects.exists()


# ---------------------------------------------------------------------- one more child


def test_signed_in_parent_adds_a_second_child(client, vorkuta, operator, period, parent):
    issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    client.force_login(parent)
    form = client.get(ADD_CHILD)
    assert form.status_code == 200
    data = child_post(first_name="Пётр", sex="m")
    response = client.post(ADD_CHILD, data, follow=True)
    assert response.redirect_chain[-1][0] == HOME
    html = response.content.decode()
    application = CertificateApplication.objects.filter(parent=parent).latest("pk")
    assert application.child.first_name == "Пётр"
    assert application.channel == CertificateApplication.Channel.ONLINE
    assert application.municipality == vorkuta
    assert f"Заявление №{application.pk}" in html and "Пётр" in html
    assert Child.objects.of_parent(parent).count() == 2
    # The same form posted twice creates nothing more.
    again = client.post(ADD_CHILD, data, follow=True)
    assert "уже подано" in again.content.decode()
    assert CertificateApplication.objects.filter(parent=parent).count() == 2


def test_add_child_field_errors(client, parent):
    client.force_login(parent)
    response = client.post(ADD_CHILD, child_post(snils="1", document_number="abc"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "11 цифр" in field_errors(html, "snils")
    assert "Свидетельство о рождении" in field_errors(html, "document_number")
    assert not CertificateApplication.objects.exists()


def test_cabinet_pages_are_for_parents_only(client, operator):
    client.force_login(operator)
    assert client.get(HOME).status_code == 403
    assert client.get(ADD_CHILD).status_code == 403
    client.logout()
    assert client.get(HOME).status_code == 302


# ----------------------------------------------------------------------------- cabinet


def _reserve(certificate, period, amount):
    """A pending reservation on the certificate, as a contract would make it."""
    account = services.certificate_account(certificate, period)
    provider = ledger.get_account(
        kind=Account.Kind.PROVIDER,
        municipality=certificate.municipality,
        period=period,
        holder_id=7,
    )
    return ledger.transfer(
        key=f"test-reserve:{certificate.pk}",
        kind=Transfer.Kind.RESERVE,
        debit=account,
        credit=provider,
        amount_kopecks=amount,
        description="Резерв по договору № Д-17 «Робототехника»",
        pending=True,
    )


def test_cabinet_home_shows_each_child_with_the_balance(client, vorkuta, operator, period, parent):
    issued = issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    _reserve(issued.certificate, period, 1_000_000)
    services.apply_for_certificate(
        actor=parent,
        municipality=vorkuta,
        parent=parent,
        child=child_data(first_name="Олег", sex="m"),
    )
    Notification.objects.create(user=parent, subject="Новое")
    client.force_login(parent)
    html = client.get(HOME).content.decode()
    assert "Мария Иванова" in html and "Олег Иванова" in html
    assert issued.certificate.number_display in html
    assert "Сертификат финансирования" in html
    assert rub("24 171,00") in html  # granted
    assert rub("10 000,00") in html  # reserved
    assert rub("14 171,00") in html  # available
    assert rub("0,00") in html  # spent
    assert "проверяет документы" in html  # Олег's open application
    unread = Notification.objects.filter(user=parent, read_at__isnull=True).count()
    assert f"Уведомления (новых: {unread})" in html
    assert reverse("family:certificate", args=[issued.certificate.pk]) in html
    assert reverse("catalog:list") in html and ADD_CHILD in html


def test_cabinet_home_query_count_does_not_grow_with_children(
    client, vorkuta, operator, period, parent, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    issue_certificate(operator=operator, municipality=vorkuta, parent=parent)
    client.force_login(parent)
    with CaptureQueriesContext(connection) as one:
        client.get(HOME)
    for name in ("Пётр", "Олег", "Илья"):
        issue_certificate(
            operator=operator, municipality=vorkuta, parent=parent, first_name=name, sex="m"
        )
    with CaptureQueriesContext(connection) as four:
        client.get(HOME)
    assert len(four.captured_queries) == len(one.captured_queries)
    # 13 today (the navigation counts unread notifications too); a little headroom.
    with django_assert_max_num_queries(14):
        client.get(HOME)


def test_rejected_application_shows_its_reason(client, vorkuta, operator, parent):
    application = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data()
    )
    services.reject_application(
        actor=operator, application=application, reason="СНИЛС не совпадает с документом"
    )
    client.force_login(parent)
    html = client.get(HOME).content.decode()
    assert "отклонено" in html and "СНИЛС не совпадает с документом" in html


def test_certificate_page_shows_explanation_balance_and_every_movement(
    client, vorkuta, operator, period, parent
):
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    _reserve(certificate, period, 1_000_000)
    client.force_login(parent)
    response = client.get(reverse("family:certificate", args=[certificate.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Сертификат финансирования: оплачивает сертифицированные программы" in html
    assert f"Сейчас доступно {rub('14 171,00')}" in html
    assert "есть место в квоте" in html  # the type reason
    assert "Начисление на период «ПФДО 2026/27»" in html
    assert "+" + rub("24 171,00") in html and "зачислено" in html
    assert "Резерв по договору № Д-17" in html
    assert "−" + rub("10 000,00") in html and "зарезервировано" in html
    assert "Запросить перевод" not in html


# ------------------------------------------------------------------- other families


def test_parent_never_sees_another_familys_child(
    client, vorkuta, operator, period, parent, make_user
):
    mine = issue_certificate(operator=operator, municipality=vorkuta, parent=parent).certificate
    stranger = make_user("parent", municipality=vorkuta)
    theirs = issue_certificate(
        operator=operator,
        municipality=vorkuta,
        parent=stranger,
        last_name="Тундрова",
        first_name="Снежана",
        wants_financing=False,
    ).certificate
    Notification.objects.create(user=stranger, subject="Снежана Тундрова: сертификат выдан")
    client.force_login(parent)
    for url in (
        reverse("family:certificate", args=[theirs.pk]),
        reverse("family:request_switch", args=[theirs.pk]),
        reverse("family:withdraw_switch", args=[theirs.pk]),
    ):
        method = client.get if url.endswith(f"/{theirs.pk}/") else client.post
        assert method(url).status_code == 404
    assert not SwitchRequest.objects.exists()
    pages = [
        HOME,
        ADD_CHILD,
        reverse("family:certificate", args=[mine.pk]),
        reverse("accounts:notifications"),
        reverse("accounts:home_parent"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert "Снежана" not in text and "Тундрова" not in text, url


# ----------------------------------------------------------------------- switch request


def test_switch_is_immediate_when_the_quota_has_room(client, vorkuta, operator, period, parent):
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, wants_financing=False
    ).certificate
    assert certificate.type == Certificate.Type.ACCOUNTING
    client.force_login(parent)
    url = reverse("family:certificate", args=[certificate.pk])
    page = client.get(url).content.decode()
    assert "Сертификат учёта: даёт право на бесплатные" in page
    assert "Запросить перевод в сертификат финансирования" in page
    response = client.post(reverse("family:request_switch", args=[certificate.pk]), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Сертификат переведён в сертификат финансирования" in html
    certificate.refresh_from_db()
    assert certificate.type == Certificate.Type.FINANCING
    assert rub("24 171,00") in html
    assert SwitchRequest.objects.get().status == SwitchRequest.Status.FULFILLED


def test_switch_waits_when_the_quota_is_full_and_can_be_withdrawn(
    client, vorkuta, operator, parent, make_user
):
    approved_period(vorkuta, quota=1)
    other = make_user("parent", municipality=vorkuta)
    issue_certificate(operator=operator, municipality=vorkuta, parent=other)
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent
    ).certificate
    assert certificate.type == Certificate.Type.ACCOUNTING  # the quota was full
    client.force_login(parent)
    request_url = reverse("family:request_switch", args=[certificate.pk])
    response = client.post(request_url, follow=True)
    html = response.content.decode()
    assert "запрос поставлен в очередь" in html
    assert "ожидает места в квоте" in html and "Отозвать запрос" in html
    waiting = SwitchRequest.objects.get()
    assert waiting.status == SwitchRequest.Status.WAITING
    # A second click: a message, still one request.
    again = client.post(request_url, follow=True)
    assert again.status_code == 200
    assert SwitchRequest.objects.count() == 1
    withdrawn = client.post(reverse("family:withdraw_switch", args=[certificate.pk]), follow=True)
    assert "Запрос на перевод отозван" in withdrawn.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == SwitchRequest.Status.WITHDRAWN
    assert "Запросить перевод в сертификат финансирования" in withdrawn.content.decode()
    certificate.refresh_from_db()
    assert certificate.type == Certificate.Type.ACCOUNTING


# --------------------------------------------------------------------- password recovery


def test_password_recovery_before_and_after_approval(client, vorkuta, operator, period):
    client.post(APPLY, registration(vorkuta, email="olga@example.org"))
    parent = User.objects.get(email="olga@example.org")
    client.get(reverse("accounts:login"))
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert "Забыли пароль?" in login_page

    before = client.post(reverse("accounts:password_reset"), {"email": "olga@example.org"})
    assert before.status_code == 302
    done = client.get(before.url).content.decode()
    assert "Если этот адрес указан в учётной записи" in done
    assert "сертификат ещё не выдан" in done
    assert len(mail.outbox) == 0  # no password yet: nothing to reset

    services.approve_application(
        actor=operator, application=CertificateApplication.objects.get(parent=parent)
    )
    after = client.post(reverse("accounts:password_reset"), {"email": "olga@example.org"})
    assert after.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password/reset/[^\s]+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Polar-Night-2026", "new_password2": "Polar-Night-2026"},
    )
    assert done.status_code == 302
    parent.refresh_from_db()
    assert parent.check_password("Polar-Night-2026") and not parent.must_change_password
    login = client.post(
        reverse("accounts:login"), {"username": parent.username, "password": "Polar-Night-2026"}
    )
    assert login.status_code == 302
    assert client.get(HOME).status_code == 200


def test_parent_pages_work_for_a_parent_with_a_password(client, parent):
    login = client.post(
        reverse("accounts:login"), {"username": parent.username, "password": PASSWORD}
    )
    assert login.status_code == 302
    assert client.get(HOME).status_code == 200
    assert client.get(ADD_CHILD).status_code == 200


# ----------------------------------------------------------- double click (PostgreSQL)


def _run_together(target, count):
    """`count` threads released at one barrier, each on its own connection."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(count)
    outcomes: list = []
    lock = threading.Lock()

    def worker(index):
        try:
            barrier.wait(timeout=10)
            result = target(index)
        except Exception as exc:
            result = exc
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == count
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_simultaneous_copies_of_one_registration_make_one_application(vorkuta):
    from pfdo.common.errors import DomainError

    child = child_data()

    def register(_):
        return services.register_and_apply(
            municipality=vorkuta,
            parent_last_name="Иванова",
            parent_first_name="Анна",
            email="anna@example.org",
            child=dict(child),
        )

    outcomes = _run_together(register, 4)
    made = [o for o in outcomes if isinstance(o, CertificateApplication)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(made) == 1 and len(refused) == 3, outcomes
    assert CertificateApplication.objects.count() == 1
    assert User.objects.filter(email="anna@example.org").count() == 1
    assert Child.objects.count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_simultaneous_copies_of_one_child_in_the_cabinet_make_one_application(vorkuta, make_user):
    from pfdo.common.errors import DomainError

    parent = make_user("parent", municipality=vorkuta)
    child = child_data()

    def apply(_):
        return services.apply_online(
            actor=User.objects.get(pk=parent.pk), municipality=vorkuta, child=dict(child)
        )

    outcomes = _run_together(apply, 4)
    made = [o for o in outcomes if isinstance(o, CertificateApplication)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(made) == 1 and len(refused) == 3, outcomes
    assert CertificateApplication.objects.count() == 1
    assert Child.objects.count() == 1
