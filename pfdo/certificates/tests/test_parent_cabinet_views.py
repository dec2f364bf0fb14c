"""Parent's pages, the cabinet: children and balances, other families, the switch request,
password recovery."""

# ruff: noqa: F811  (fixtures are imported from the support module and requested by name)

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from pfdo.accounts.models import Notification
from pfdo.accounts.tests.factories import PASSWORD
from pfdo.certificates import services
from pfdo.certificates.models import Certificate, CertificateApplication, SwitchRequest
from pfdo.certificates.tests.factories import (
    approved_period,
    child_data,
    issue_certificate,
)
from pfdo.certificates.tests.parent_pages_support import (  # noqa: F401  (fixtures by name)
    ADD_CHILD,
    APPLY,
    HOME,
    User,
    _today,
    parent,
    period,
    registration,
    rub,
)
from pfdo.ledger import services as ledger
from pfdo.ledger.models import Account, Transfer

pytestmark = pytest.mark.django_db


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


def test_certificate_page_says_why_a_switch_is_impossible(
    client, vorkuta, operator, period, parent
):
    """The reason comes from the switch service, the same words it would refuse with."""
    certificate = issue_certificate(
        operator=operator, municipality=vorkuta, parent=parent, wants_financing=False
    ).certificate
    services.suspend_certificate(actor=operator, certificate=certificate, reason="Проверка")
    client.force_login(parent)
    page = client.get(reverse("family:certificate", args=[certificate.pk]))
    assert page.status_code == 200
    assert page.context["can_request_switch"] is False
    assert "Сертификат приостановлен: перевод невозможен." in page.content.decode()
