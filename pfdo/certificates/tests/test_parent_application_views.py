"""Parent's pages, applying: online registration, one more child from the cabinet, and
simultaneous copies of one form (PostgreSQL)."""

# ruff: noqa: F811  (fixtures are imported from the support module and requested by name)

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.urls import reverse

from pfdo.certificates import services
from pfdo.certificates.models import CertificateApplication, Child
from pfdo.certificates.tests.factories import (
    child_data,
    issue_certificate,
)
from pfdo.certificates.tests.parent_pages_support import (  # noqa: F401  (fixtures by name)
    ADD_CHILD,
    APPLIED,
    APPLY,
    HOME,
    User,
    _today,
    child_post,
    field_errors,
    parent,
    period,
    registration,
)
from pfdo.common.tests.races import run_at_once

pytestmark = pytest.mark.django_db


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
    assert "Заявление подано" in page
    # The number and the login come by e-mail only (after the commit): the page is the same
    # for a new family, a known e-mail and a known child (test_public_forms.py).
    assert parent.username not in page and f"№{application.pk}" not in page
    assert "anna@example.org" in page
    assert "нескольких рабочих дней" in page
    assert "сменить" in page
    assert reverse("accounts:password_reset") in page
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
    # Someone else with that e-mail is not let in (answered alike; the owner gets a letter).
    other = client.post(APPLY, registration(vorkuta, parent_first_name="Ольга"))
    assert other.status_code == 302 and other.url == APPLIED
    assert CertificateApplication.objects.count() == 2
    assert User.objects.filter(email="anna@example.org").count() == 1


def test_double_submit_creates_one_application(client, vorkuta, django_capture_on_commit_callbacks):
    data = registration(vorkuta)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(APPLY, data)
    assert first.status_code == 302
    # The same page posted again (a reload or the back button): the first answer again.
    again = client.post(APPLY, data, follow=True)
    assert again.redirect_chain[-1][0] == APPLIED
    assert "уже отправлено" in again.content.decode()
    # A stale copy of the form (another token) with the same family: the same answer as any
    # application, nothing filed twice, and the family is told so by letter.
    with django_capture_on_commit_callbacks(execute=True):
        stale = client.post(APPLY, {**data, "once": uuid.uuid4().hex})
    assert stale.status_code == 302 and stale.url == APPLIED
    assert CertificateApplication.objects.count() == 1
    assert User.objects.filter(email="anna@example.org").count() == 1
    assert [m.subject for m in mail.outbox][-1] == "Заявление на сертификат уже подано"


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


# ----------------------------------------------------------- double click (PostgreSQL)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_simultaneous_copies_of_one_registration_make_one_application(vorkuta):
    child = child_data()

    def register(_):
        return services.register_and_apply(
            municipality=vorkuta,
            parent_last_name="Иванова",
            parent_first_name="Анна",
            email="anna@example.org",
            child=dict(child),
        )

    outcomes = run_at_once([lambda: register(None)] * 4)
    # Every copy gets the one answer of the public form; one application is filed.
    assert all(isinstance(o, services.PublicApplication) for o in outcomes), outcomes
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

    outcomes = run_at_once([lambda: apply(None)] * 4)
    made = [o for o in outcomes if isinstance(o, CertificateApplication)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(made) == 1 and len(refused) == 3, outcomes
    assert CertificateApplication.objects.count() == 1
    assert Child.objects.count() == 1
