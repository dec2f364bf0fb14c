"""The in-person confirmation code cannot be guessed (issue 13, item 1): a few wrong codes make
it void, even the right code then fails; the parent still confirms in the cabinet; every
failure is in the action history; the family is told; staff are rate-limited across
applications and the certificate across a day; an application that ended keeps no code."""

from __future__ import annotations

import datetime as dt
import json
import re
from types import SimpleNamespace

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from pfdo.audit.models import ActionLog
from pfdo.catalog.models import Module
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificate_services
from pfdo.common import clock
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.tests.worlds import copy_of, komi_and_vorkuta, make_user, world_once
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.providers.tests.factories import ProviderFactory, add_staff

TODAY = dt.date(2026, 11, 28)
APPLICATIONS = "/api/v1/applications/"
CODE = re.compile(r"код (\d{6})")
VOID = "confirmation_code_void"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


def build_world():
    with clock.frozen(TODAY):
        _region, vorkuta = komi_and_vorkuta()
        period = approved_period(vorkuta)
        operator = make_user("operator", municipality=vorkuta)
        provider = ProviderFactory(municipality=vorkuta)
        families = [
            family(vorkuta, operator, email=f"parent{n}@example.org", first_name=name)
            for n, name in enumerate(["Ирина", "Ольга", "Мария"])
        ]
        for fam in families:
            fam.parent.must_change_password = False
            fam.parent.save(update_fields=["must_change_password"])
        return SimpleNamespace(
            vorkuta=vorkuta,
            period=period,
            operator=operator,
            provider=provider,
            staff=staff_of(provider),
            other_staff=add_staff(provider).user,
            # Three groups on different days: one child may apply to each.
            groups=[ready_group(vorkuta, provider=provider, weekday=d) for d in (1, 3, 5)],
            families=families,
        )


_world = world_once(build_world)


@pytest.fixture
def w(_world, db):
    return copy_of(_world)


@pytest.fixture
def limits(settings):
    """Set one rate limit for the test: limits(confirm_code_staff="3/3600")."""

    def set_limits(**values):
        settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, **values}

    return set_limits


# ------------------------------------------------------------------------------ helpers


def file_in_person(w, fam=None, group=None, staff=None) -> tuple[Application, str]:
    """Staff file an in-person application; returns it and the code sent to the family."""
    fam = fam or w.families[0]
    application = services.apply_in_person(
        actor=staff or w.staff,
        certificate_number=fam.certificate.number,
        surname=fam.certificate.child.last_name,
        group=group or w.groups[0],
    )
    assert application.status == Application.Status.AWAITING_PARENT
    note = fam.parent.notifications.filter(subject="Подтвердите запись ребёнка").latest("pk")
    return application, CODE.search(note.body).group(1)


def wrong_codes(code: str, n: int) -> list[str]:
    """n six-digit codes, none of them `code`."""
    return [f"{(int(code) + k) % 1_000_000:06d}" for k in range(1, n + 1)]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def code_url(application) -> str:
    return f"{APPLICATIONS}{application.pk}/confirm-code/"


def page_code_url(application) -> str:
    return reverse("enrolment:provider_application_code", args=[application.pk])


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def reserved(fam, period) -> int:
    return certificate_selectors.balance(fam.certificate, period).reserved_kopecks


def failures(application, reason: str | None = None):
    rows = ActionLog.objects.filter(
        action="enrolment.code_failed",
        object_type="enrolment.application",
        object_id=str(application.pk),
    )
    return rows.filter(details__reason=reason) if reason else rows


# ----------------------------------------------------------- the sixth attempt, the API


def test_the_sixth_attempt_is_refused_even_with_the_right_code_api(w):
    fam = w.families[0]
    application, code = file_in_person(w)
    client = api(w.staff)
    read = client.get(f"{APPLICATIONS}{application.pk}/").json()
    assert read["code_attempts_left"] == 5 and read["code_voided_at"] is None

    for left, wrong in zip([4, 3, 2, 1], wrong_codes(code, 4), strict=True):
        error = error_of(client.post(code_url(application), {"code": wrong}, format="json"), 400)
        message = error["fields"]["code"][0]
        assert message.startswith("Неверный код.") and f"Осталось попыток: {left}." in message
        assert client.get(f"{APPLICATIONS}{application.pk}/").json()["code_attempts_left"] == left
    fifth = error_of(
        client.post(code_url(application), {"code": wrong_codes(code, 5)[-1]}, format="json"),
        409,
    )
    assert fifth["code"] == VOID
    sixth = error_of(client.post(code_url(application), {"code": code}, format="json"), 409)
    assert sixth["code"] == VOID
    assert "личном кабинете" in sixth["message"]

    application.refresh_from_db()
    assert application.status == Application.Status.AWAITING_PARENT
    assert application.code_failures == 5 and application.code_voided_at is not None
    assert application.confirm_code_hash == ""
    assert not Contract.objects.filter(application=application).exists()
    assert reserved(fam, w.period) == 0
    read = client.get(f"{APPLICATIONS}{application.pk}/").json()
    assert read["code_attempts_left"] is None and read["code_voided_at"]
    # The services say the same: the step is closed with the stable code.
    assert services.code_refusal(application).code == VOID


def test_a_malformed_code_spends_no_try_and_the_right_code_concludes(w):
    fam = w.families[0]
    application, code = file_in_person(w)
    client = api(w.staff)
    for malformed in ("12", "12345a", "1234567", "١٢٣٤٥٦"):
        error = error_of(
            client.post(code_url(application), {"code": malformed}, format="json"), 400
        )
        assert error["fields"]["code"] == ["Код — 6 цифр."]
    error_of(
        client.post(code_url(application), {"code": wrong_codes(code, 1)[0]}, format="json"), 400
    )
    application.refresh_from_db()
    assert application.code_failures == 1
    spaced = f" {code[:3]} - {code[3:]} "  # the digits are read, spaces and hyphens allowed
    response = client.post(code_url(application), {"code": spaced}, format="json")
    assert response.status_code == 200, response.content
    contract = Contract.objects.get(application=application)
    assert contract.status == Contract.Status.ACTIVE
    assert reserved(fam, w.period) == contract.certificate_kopecks > 0
    application.refresh_from_db()
    assert application.confirm_code_hash == ""  # used once, kept nowhere


# ---------------------------------------------------------- the sixth attempt, the page


def test_the_sixth_attempt_is_refused_on_the_providers_page(w):
    application, code = file_in_person(w)
    client = web(w.staff)
    page = reverse("enrolment:provider_application", args=[application.pk])
    assert "Неверных попыток до аннулирования кода: 5." in client.get(page).content.decode()
    for wrong in wrong_codes(code, 4):
        answer = client.post(page_code_url(application), {"code": wrong})
        assert answer.status_code == 200 and "Неверный код." in answer.content.decode()
    fifth = client.post(page_code_url(application), {"code": wrong_codes(code, 5)[-1]})
    assert 'data-testid="code-void"' in fifth.content.decode()
    sixth = client.post(page_code_url(application), {"code": code})
    html = sixth.content.decode()
    assert sixth.status_code == 200
    assert "Код подтверждения больше не действует" in html
    assert 'data-testid="code-void"' in html
    assert "Ввести код из уведомления родителя" not in html  # the form is gone
    assert not Contract.objects.filter(application=application).exists()
    shown = client.get(page).content.decode()
    assert 'data-testid="code-void"' in shown and "Ввести код" not in shown


# --------------------------------------------------- the parent confirms in the cabinet


def void(w, application, code):
    for wrong in wrong_codes(code, 5):
        with pytest.raises((ValidationFailed, Conflict)):
            services.confirm_with_code(actor=w.staff, application=application, code=wrong)


def test_the_parent_sees_the_void_and_confirms_in_the_cabinet(w):
    fam = w.families[0]
    application, code = file_in_person(w)
    void(w, application, code)

    parent_api = api(fam.parent)
    read = parent_api.get(f"{APPLICATIONS}{application.pk}/").json()
    assert read["status"] == "awaiting_parent" and read["code_voided_at"]

    parent = web(fam.parent)
    page = parent.get(reverse("enrolment:parent_application", args=[application.pk]))
    html = page.content.decode()
    assert 'data-testid="code-void"' in html and "Код подтверждения аннулирован" in html
    assert 'data-testid="confirm"' in html and 'data-testid="cancel"' in html
    done = parent.post(reverse("enrolment:parent_application_confirm", args=[application.pk]))
    contract = Contract.objects.get(application=application)
    assert done.status_code == 302
    assert done["Location"] == reverse("enrolment:parent_contract", args=[contract.pk])
    assert contract.status == Contract.Status.OFFERED
    accepted = parent_api.post(f"/api/v1/contracts/{contract.pk}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert reserved(fam, w.period) == contract.certificate_kopecks > 0


def test_the_parent_confirms_or_declines_a_void_code_over_the_api(w):
    fam = w.families[0]
    confirmed, code = file_in_person(w, group=w.groups[0])
    declined, other = file_in_person(w, group=w.groups[1])
    void(w, confirmed, code)
    void(w, declined, other)
    client = api(fam.parent)
    for application in (confirmed, declined):
        read = client.get(f"{APPLICATIONS}{application.pk}/").json()
        assert read["code_voided_at"] and read["status"] == "awaiting_parent"
    response = client.post(f"{APPLICATIONS}{confirmed.pk}/confirm-parent/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "offered"
    response = client.post(f"{APPLICATIONS}{declined.pk}/cancel/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


# ----------------------------------------------------------- the history and the family


def test_every_failure_is_in_the_action_history_without_the_code(w):
    application, code = file_in_person(w)
    client = api(w.staff)
    typed = [*wrong_codes(code, 5), code, "12"]
    for given in typed:
        client.post(code_url(application), {"code": given}, format="json")

    # "12" is no code at all: the schema's pattern refuses it (400) before the application is
    # looked at, as the provider's page form does, so it is no attempt and not in the history.
    rows = list(failures(application).order_by("pk"))
    assert [r.details["reason"] for r in rows] == ["wrong"] * 5 + [VOID]
    assert [r.details["failures"] for r in rows] == [1, 2, 3, 4, 5, 5]
    for row in rows:
        assert row.actor == w.staff and row.ip == "127.0.0.1"
        assert row.municipality == w.vorkuta
        for given in typed:
            assert given not in json.dumps(row.details)
    voided = ActionLog.objects.get(action="enrolment.code_voided", object_id=str(application.pk))
    assert voided.actor == w.staff and voided.details == {"why": "attempts", "failures": 5}


def test_the_family_is_told_at_the_first_wrong_code_and_when_it_is_void(
    w, django_capture_on_commit_callbacks
):
    fam = w.families[0]
    application, code = file_in_person(w)
    mail.outbox.clear()
    before = fam.parent.notifications.count()
    wrong = wrong_codes(code, 5)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed):
        services.confirm_with_code(actor=w.staff, application=application, code=wrong[0])
    first = fam.parent.notifications.latest("pk")
    assert first.subject == "Введён неверный код подтверждения записи"
    assert "не обращались к поставщику" in first.body and not CODE.search(first.body)
    assert first.link == reverse("enrolment:parent_application", args=[application.pk])
    for given in wrong[1:4]:
        with pytest.raises(ValidationFailed):
            services.confirm_with_code(actor=w.staff, application=application, code=given)
    assert fam.parent.notifications.count() == before + 1  # not at every wrong code
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict):
        services.confirm_with_code(actor=w.staff, application=application, code=wrong[4])
    last = fam.parent.notifications.latest("pk")
    assert last.subject == "Код подтверждения записи аннулирован"
    assert "подтвердите запись в личном кабинете" in last.body
    assert fam.parent.notifications.count() == before + 2
    assert [(m.subject, m.to) for m in mail.outbox] == [
        ("Введён неверный код подтверждения записи", [fam.parent.email]),
        ("Код подтверждения записи аннулирован", [fam.parent.email]),
    ]


# ------------------------------------------------------------- the staff member's limit


def test_the_staff_limit_spans_applications_and_answers_429_with_retry_after(w, limits):
    limits(confirm_code_staff="3/3600")
    client = api(w.staff)
    filed = [file_in_person(w, fam=fam) for fam in w.families]
    for application, code in filed:
        client.post(code_url(application), {"code": wrong_codes(code, 1)[0]}, format="json")
    application, code = file_in_person(w, fam=w.families[0], group=w.groups[1])
    refused = client.post(code_url(application), {"code": code}, format="json")
    assert error_of(refused, 429)["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert not Contract.objects.filter(application=application).exists()
    row = ActionLog.objects.get(action="rate_limited")
    assert row.actor == w.staff and row.ip == "127.0.0.1"
    assert row.details["limit"] == "confirm_code_staff" and row.details["scope"] == "user"
    # Another staff member of the provider has their own count.
    other = api(w.other_staff).post(code_url(application), {"code": code}, format="json")
    assert other.status_code == 200, other.content


def test_the_staff_limit_answers_the_429_page(w, limits):
    limits(confirm_code_staff="2/3600")
    client = web(w.staff)
    first, code = file_in_person(w, group=w.groups[0])
    second, other = file_in_person(w, group=w.groups[1])
    client.post(page_code_url(first), {"code": wrong_codes(code, 1)[0]})
    client.post(page_code_url(first), {"code": wrong_codes(code, 2)[-1]})
    refused = client.post(page_code_url(second), {"code": other})
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert "Повторите через" in refused.content.decode()
    assert not Contract.objects.filter(application=second).exists()


# -------------------------------------------------------------------- the certificate


def test_the_certificate_caps_wrong_codes_over_its_applications_for_a_day(w, settings):
    settings.PFDO_CONFIRM_CODE_CERTIFICATE_ATTEMPTS = 7
    fam = w.families[0]
    first, code = file_in_person(w, group=w.groups[0])
    void(w, first, code)
    # Staff reject and file again: the new code gets only what is left of the day's tries.
    services.reject(actor=w.staff, application=first, reason="Подадим заново")
    second, code = file_in_person(w, group=w.groups[0])
    with pytest.raises(ValidationFailed):
        services.confirm_with_code(actor=w.staff, application=second, code=wrong_codes(code, 1)[0])
    with pytest.raises(Conflict) as refused:
        services.confirm_with_code(actor=w.staff, application=second, code=wrong_codes(code, 2)[1])
    assert refused.value.code == VOID
    voided = ActionLog.objects.filter(action="enrolment.code_voided", object_id=str(second.pk))
    assert voided.get().details == {"why": "certificate", "failures": 2}
    # A third application of the same child: even its right code is refused today...
    third, code = file_in_person(w, group=w.groups[1])
    with pytest.raises(Conflict) as refused:
        services.confirm_with_code(actor=w.staff, application=third, code=code)
    assert refused.value.code == VOID
    assert not Contract.objects.filter(certificate=fam.certificate).exists()
    assert failures(third, VOID).count() == 1
    # ...and another child's code works.
    other, other_code = file_in_person(w, fam=w.families[1], group=w.groups[1])
    services.confirm_with_code(actor=w.staff, application=other, code=other_code)
    # A day later the child's new application has its tries again.
    with clock.frozen(dt.datetime(2026, 11, 29, 18, 0, tzinfo=dt.UTC)):
        fourth, code = file_in_person(w, group=w.groups[2])
        contract = services.confirm_with_code(actor=w.staff, application=fourth, code=code)
    assert contract.status == Contract.Status.ACTIVE


# ----------------------------------------------------- an application ended otherwise


def _cancelled(w, fam, application):
    services.cancel(actor=fam.parent, application=application)


def _rejected(w, fam, application):
    services.reject(actor=w.staff, application=application, reason="Нет медицинской справки")


def _expired(w, fam, application):
    services.run_deadlines(now=application.decide_by + dt.timedelta(minutes=1))


def _certificate_cancelled(w, fam, application):
    certificate_services.cancel_certificate(
        actor=w.operator, certificate=fam.certificate, reason="Семья переехала"
    )


@pytest.mark.parametrize("end", [_cancelled, _rejected, _expired, _certificate_cancelled])
def test_an_application_ended_otherwise_keeps_no_usable_code(w, end):
    fam = w.families[0]
    application, code = file_in_person(w)
    end(w, fam, application)
    application.refresh_from_db()
    assert application.status != Application.Status.AWAITING_PARENT
    assert application.confirm_code_hash == ""
    assert services.attempts_left(application) is None
    with pytest.raises(Conflict):
        services.confirm_with_code(actor=w.staff, application=application, code=code)
    response = api(w.staff).post(code_url(application), {"code": code}, format="json")
    assert response.status_code in (404, 409), response.content
    assert not Contract.objects.filter(application=application).exists()


# ----------------------------------------------------- the notice states the contract's terms


def test_code_notice_states_the_terms_the_code_agrees_to(w):
    # Telling the code concludes the contract, yet the notice named neither the programme,
    # nor the price nor the co-payment.
    group = w.groups[0]
    Module.objects.filter(pk=group.module_id).update(
        price_kopecks=4_055_000, normative_cost_kopecks=4_500_000
    )
    application, code = file_in_person(w)
    fam = w.families[0]
    body = fam.parent.notifications.filter(subject="Подтвердите запись ребёнка").latest("pk").body
    program = group.module.program
    nbsp = "\u00a0"
    for part in (
        f"программа «{program.name}»",
        f"модуль «{group.module.name}»",
        f"группа «{group.name}»",
        f"исполнитель — {w.provider.full_name}",
        "занятия с 28.11.2026 по 31.05.2027 (7 мес.)",
        # 7 of the group's 9 months: 40 550 × 7/9; the certificate pays its 24 171.
        f"Цена за этот срок — 31{nbsp}538,88{nbsp}₽",
        f"сертификат оплатит 24{nbsp}171,00{nbsp}₽",
        f"доплата семьи — 7{nbsp}367,88{nbsp}₽",
        f"Доплату семья платит поставщику — {w.provider.full_name}, ИНН {w.provider.inn}",
        "по договору с организацией",  # no bank details on file
        "помесячно",
        f"Назвать сотруднику код {code} — значит согласиться с этими условиями",
    ):
        assert part in body, part
    contract = services.confirm_with_code(actor=w.staff, application=application, code=code)
    assert (contract.price_kopecks, contract.certificate_kopecks, contract.copay_kopecks) == (
        3_153_888,
        2_417_100,
        736_788,
    )


def test_a_code_told_after_the_terms_changed_concludes_nothing(w):
    # The notice stated a co-payment; the module's price rose before the family told the code.
    # Telling the code agreed to the notice's figures, so no contract is concluded on others.
    group = w.groups[0]
    Module.objects.filter(pk=group.module_id).update(
        price_kopecks=4_055_000, normative_cost_kopecks=4_500_000
    )
    application, code = file_in_person(w)
    application.refresh_from_db()
    assert application.code_copay_kopecks == 736_788  # 40 550 × 7/9 − 24 171, as the notice said
    Module.objects.filter(pk=group.module_id).update(price_kopecks=5_000_000)
    with pytest.raises(Conflict) as refused:
        services.confirm_with_code(actor=w.staff, application=application, code=code)
    assert refused.value.code == "terms_changed"
    assert "личном кабинете" in refused.value.message
    application.refresh_from_db()
    assert application.status == Application.Status.AWAITING_PARENT
    assert not Contract.objects.filter(application=application).exists()
    assert reserved(w.families[0], w.period) == 0
    # Back at the stated price, the same code concludes the contract on the notice's terms.
    Module.objects.filter(pk=group.module_id).update(price_kopecks=4_055_000)
    contract = services.confirm_with_code(actor=w.staff, application=application, code=code)
    assert contract.copay_kopecks == 736_788


def test_the_schema_states_what_a_code_is(db):
    from pfdo.common.tests.served_schema import body_is_valid, served_schema

    schema = served_schema()
    url = "/api/v1/applications/{id}/confirm-code/"
    for code in ("123456", "123 456", "123-456", " 1 2 3 4 5 6 "):
        assert body_is_valid(schema, "post", url, {"code": code}), code
    for code in ("12", "1234567", "12345a", "١٢٣٤٥٦", ""):
        assert not body_is_valid(schema, "post", url, {"code": code}), code
