"""Issue 13 (items 3 and 4), the certificate application: the public form answers alike
whoever is known — a new family, an e-mail with an account, a child with a certificate (by
СНИЛС or by document) — the details go by letter to the addresses on file, the operator sees
the duplicate flagged and rejects it with one click (page and API); the form is rate-limited
per client address and per typed e-mail."""

# ruff: noqa: F811  (fixtures are imported from the support module and requested by name)

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from pfdo.accounts.models import User
from pfdo.audit.models import ActionLog
from pfdo.certificates import services
from pfdo.certificates.models import Certificate, CertificateApplication, Child
from pfdo.certificates.tests.api_support import APPLICATIONS, body_of
from pfdo.certificates.tests.factories import child_data, issue_certificate
from pfdo.certificates.tests.parent_pages_support import (  # noqa: F401  (fixtures by name)
    APPLIED,
    APPLY,
    _today,
    period,
    registration,
)
from pfdo.common.errors import Conflict
from pfdo.common.ratelimit import wait_text

pytestmark = pytest.mark.django_db

QUEUE = reverse("certificates:queue")


@pytest.fixture
def known(vorkuta, operator, make_user, period):
    """A family on file: mama@example.org, her daughter Дарья with a financing certificate."""
    parent = make_user("parent", municipality=vorkuta, email="mama@example.org")
    child = child_data(first_name="Дарья")
    issued = issue_certificate(operator=operator, municipality=vorkuta, parent=parent, **child)
    mail.outbox.clear()
    return SimpleNamespace(parent=parent, child=child, certificate=issued.certificate)


def _answer(client, data, capture) -> tuple:
    """The whole answer the applicant sees: the POST's status and target, then the page."""
    with capture(execute=True):
        response = client.post(APPLY, data)
    page = client.get(APPLIED).content.decode()
    page = page.replace(data["email"].lower(), "EMAIL")
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    page = re.sub(r'"X-CSRFToken": "[^"]*"', "", page)
    page = re.sub(r'nonce="[^"]*"', "", page)
    return response.status_code, response.get("Location"), page


def _mails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def test_the_public_form_answers_alike_and_the_details_go_by_letter(
    client, vorkuta, known, django_capture_on_commit_callbacks
):
    snils, document = known.child["snils"], known.child["document_number"]
    answers = {
        "new family": _answer(
            client,
            registration(vorkuta, email="new@example.org"),
            django_capture_on_commit_callbacks,
        ),
        "known e-mail": _answer(
            client,
            registration(vorkuta, email="MAMA@example.org"),
            django_capture_on_commit_callbacks,
        ),
        "known СНИЛС": _answer(
            client,
            registration(vorkuta, email="other@example.org", snils=snils),
            django_capture_on_commit_callbacks,
        ),
        "known document": _answer(
            client,
            registration(vorkuta, email="third@example.org", document_number=document),
            django_capture_on_commit_callbacks,
        ),
    }
    first = answers["new family"]
    assert first[:2] == (302, APPLIED)
    for case, answer in answers.items():
        assert answer == first, case
    assert known.certificate.number_display not in first[2]
    assert "Этот e-mail уже зарегистрирован" not in first[2] and "СНИЛС уже" not in first[2]

    # A new family: the number and the login by letter.
    (letter,) = _mails_to("new@example.org")
    new = CertificateApplication.objects.get(parent__email="new@example.org")
    assert letter.subject == f"Заявление №{new.pk} на сертификат подано"
    assert new.parent.username in letter.body
    assert not new.duplicate_reason

    # A known e-mail: nothing filed, no second account; its owner is told how to sign in.
    assert User.objects.filter(email__iexact="mama@example.org").count() == 1
    assert not CertificateApplication.objects.filter(parent=known.parent).exclude(
        child__certificates=known.certificate
    )
    owner = _mails_to("mama@example.org")
    about_email = [m for m in owner if m.subject == "Заявление на сертификат с вашим адресом почты"]
    assert len(about_email) == 1
    assert f"логин {known.parent.username}" in about_email[0].body
    assert reverse("accounts:password_reset") in about_email[0].body
    assert "ничего не отправляли" in about_email[0].body

    # A known child: filed on a card of its own, flagged for the operator, the guardian told.
    for email, match in (("other@example.org", "СНИЛС"), ("third@example.org", "документ")):
        flagged = CertificateApplication.objects.get(parent__email=email)
        assert flagged.duplicate_reason == (
            f"ребёнок уже имеет сертификат № {known.certificate.number_display} (совпадает {match})"
        )
        assert flagged.child_id != known.certificate.child_id
        assert len(_mails_to(email)) == 1  # answered as a new family: its number and login
    to_guardian = [m for m in owner if m.subject.startswith("Подано заявление на сертификат")]
    assert len(to_guardian) == 2
    assert "Дарья" in to_guardian[0].body and known.certificate.number not in to_guardian[0].body
    # The known child's card is untouched by what strangers typed.
    assert Child.objects.get(pk=known.certificate.child_id).first_name == "Дарья"


def test_operator_sees_the_flag_and_rejects_the_duplicate_with_one_click(
    client, vorkuta, known, operator, django_capture_on_commit_callbacks
):
    client.post(APPLY, registration(vorkuta, email="other@example.org", snils=known.child["snils"]))
    flagged = CertificateApplication.objects.get(parent__email="other@example.org")
    one_click = reverse("certificates:application_reject_duplicate", args=[flagged.pk])
    client.force_login(operator)

    queue = client.get(QUEUE).content.decode()
    assert 'data-testid="duplicate-reason"' in queue
    assert f"ребёнок уже имеет сертификат № {known.certificate.number_display}" in queue
    assert one_click in queue
    page = client.get(reverse("certificates:application", args=[flagged.pk])).content.decode()
    assert flagged.duplicate_reason in page and one_click in page
    # The one-СНИЛС-one-certificate rule holds across cards: no second certificate.
    with pytest.raises(Conflict) as refused:
        services.approve_application(actor=operator, application=flagged)
    assert refused.value.code == "duplicate_child"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(one_click)
    assert response.status_code == 302 and response.url == QUEUE
    flagged.refresh_from_db()
    assert flagged.status == CertificateApplication.Status.REJECTED
    assert flagged.reason == services.DUPLICATE_REJECTION
    (told,) = _mails_to("other@example.org")
    assert services.DUPLICATE_REJECTION in told.body
    assert known.certificate.number not in told.body and "СНИЛС" not in told.body
    assert Certificate.objects.get(pk=known.certificate.pk).status == Certificate.Status.ACTIVE
    # Only a flagged application goes with one click.
    plain = CertificateApplication.objects.create(
        child=flagged.child, municipality=vorkuta, parent=flagged.parent, channel="online"
    )
    client.post(reverse("certificates:application_reject_duplicate", args=[plain.pk]))
    plain.refresh_from_db()
    assert plain.status == CertificateApplication.Status.APPLIED


def test_api_another_family_gets_the_answer_of_a_new_child_and_only_officials_see_the_flag(
    api_client, vorkuta, known, operator, make_user, django_capture_on_commit_callbacks
):
    stranger = make_user("parent", municipality=vorkuta, email="stranger@example.org")
    api_client.force_authenticate(stranger)
    with django_capture_on_commit_callbacks(execute=True):
        new = api_client.post(APPLICATIONS, body_of(), format="json")
        dup = api_client.post(APPLICATIONS, body_of(snils=known.child["snils"]), format="json")
    assert new.status_code == dup.status_code == 201, dup.content
    assert set(new.json()) == set(dup.json())
    assert dup.json()["status"] == new.json()["status"] == "applied"
    assert dup.json()["duplicate_reason"] is None and new.json()["duplicate_reason"] is None
    assert [m.subject for m in _mails_to("mama@example.org")] == [
        "Подано заявление на сертификат для вашего ребёнка"
    ]

    api_client.force_authenticate(operator)
    seen = api_client.get(f"{APPLICATIONS}{dup.json()['id']}/").json()
    assert seen["duplicate_reason"].startswith("ребёнок уже имеет сертификат №")
    assert api_client.get(f"{APPLICATIONS}{new.json()['id']}/").json()["duplicate_reason"] == ""
    refused = api_client.post(f"{APPLICATIONS}{new.json()['id']}/reject-duplicate/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_duplicate"
    rejected = api_client.post(f"{APPLICATIONS}{dup.json()['id']}/reject-duplicate/")
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reason"] == services.DUPLICATE_REJECTION

    api_client.force_authenticate(stranger)  # the applicant reads the neutral reason only
    mine = api_client.get(f"{APPLICATIONS}{dup.json()['id']}/").json()
    assert mine["reason"] == services.DUPLICATE_REJECTION and mine["duplicate_reason"] is None


# ---------------------------------------------------------------------------- limits


def _refusal(response) -> tuple:
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    html = response.content.decode()
    assert "Слишком много попыток" in html
    assert f'data-testid="retry-after">{wait_text(wait)}<' in html
    return response.status_code, html.count("Повторить можно через")


def test_public_form_is_limited_per_address(client, vorkuta, settings):
    settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, "certificate_apply_ip": "2/3600"}
    for n in range(2):
        assert client.post(APPLY, registration(vorkuta, email=f"f{n}@example.org")).status_code
    _refusal(client.post(APPLY, registration(vorkuta, email="f2@example.org")))
    assert not User.objects.filter(email="f2@example.org").exists()
    row = ActionLog.objects.get(action="rate_limited")
    assert row.ip == "127.0.0.1" and row.municipality == vorkuta and row.actor is None
    assert row.details["limit"] == "certificate_apply_ip" and row.details["scope"] == "ip"
    # Another address is not affected.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(APPLY, registration(vorkuta, email="f3@example.org")).status_code == 302


def test_public_form_is_limited_per_typed_email_known_or_not(client, vorkuta, known, settings):
    settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, "certificate_apply_email": "2/3600"}
    refusals = []
    for email in ("mama@example.org", "nobody@example.org"):
        for n in range(2):
            address = Client(REMOTE_ADDR=f"192.0.2.{n + 10}")
            assert address.post(APPLY, registration(vorkuta, email=email)).status_code == 302
        refusals.append(
            _refusal(
                Client(REMOTE_ADDR="192.0.2.99").post(APPLY, registration(vorkuta, email=email))
            )
        )
    assert refusals[0] == refusals[1]  # a refusal does not tell a known e-mail either
    assert set(ActionLog.objects.filter(action="rate_limited").values_list("ip", flat=True)) == {
        "192.0.2.99"
    }
    assert Client().post(APPLY, registration(vorkuta, email="else@example.org")).status_code == 302
