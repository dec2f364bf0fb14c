"""Pages of the provider registry: application, public page, operator registry and card,
the provider admin's «Моя организация»."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from pfdo.accounts.models import User
from pfdo.audit.models import ActionLog
from pfdo.catalog.tests.factories import ProgramFactory
from pfdo.common import clock
from pfdo.financing.tests.factories import FinancingPeriodFactory
from pfdo.providers.models import EnrolmentLimit, Provider, ProviderStaff
from pfdo.providers.tests.factories import (
    VALID_ACCOUNT,
    ProviderFactory,
    add_staff,
    make_inn10,
    org_profile,
)

APPLY = "/providers/apply/"
REGISTRY = "/cabinet/providers/"
ORGANISATION = "/cabinet/provider/organisation/"
Status = Provider.Status


def login(client, user):
    client.force_login(user)
    return client


def application(vorkuta, **overrides):
    data = {
        **{k: v for k, v in org_profile().items()},
        "municipality": vorkuta.pk,
        "staff_last_name": "Морозов",
        "staff_first_name": "Дмитрий",
        "staff_email": "morozov@example.org",
        "staff_login": "morozov",
        "staff_password": "Polar-Code-2026",
        "staff_password2": "Polar-Code-2026",
        "confirm": "on",
    }
    data.update(overrides)
    return data


def field_errors(response, name) -> list[str]:
    return response.context["form"].errors.get(name, [])


# ---------------------------------------------------------------- application


def test_application_form_opens_for_anyone_in_russian(client, vorkuta):
    response = client.get(APPLY)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Заявка на включение в реестр поставщиков" in text
    for label in ("ИНН", "ОГРН / ОГРНИП", "Логин для входа", "Банковские реквизиты"):
        assert label in text
    assert response.context["form"]["municipality"].value() == vorkuta.pk


def test_application_creates_the_provider_and_confirms(client, vorkuta):
    response = client.post(APPLY, application(vorkuta))
    assert response.status_code == 302 and response.url == reverse("providers:apply_done")
    provider = Provider.objects.get()
    assert provider.status == Status.UNDER_REVIEW
    assert ProviderStaff.objects.get(provider=provider, is_admin=True).user.username == "morozov"
    done = client.get(response.url)
    text = done.content.decode()
    assert provider.short_name in text and "morozov" in text and "ждёт решения" in text
    # The applicant can sign in with the password they chose.
    signed_in = client.post("/login/", {"username": "morozov", "password": "Polar-Code-2026"})
    assert signed_in.status_code == 302


def test_done_page_without_an_application_goes_back_to_the_form(client, db):
    response = client.get(reverse("providers:apply_done"))
    assert response.status_code == 302 and response.url == APPLY


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"inn": "1103004514"}, "inn", "Контрольные цифры ИНН не сходятся"),
        ({"ogrn": "1021103004516"}, "ogrn", "Контрольная цифра ОГРН не сходится"),
        ({"legal_form": "ip"}, "inn", "У индивидуального предпринимателя ИНН из 12 цифр"),
        ({"licence_number": ""}, "licence_number", "Укажите номер лицензии"),
        ({"settlement_account": VALID_ACCOUNT[:-1] + "0"}, "settlement_account", "не сходится"),
        ({"staff_password2": "other"}, "staff_password2", "Пароли не совпадают"),
        ({"staff_password": "12345678", "staff_password2": "12345678"}, "staff_password", ""),
        ({"confirm": ""}, "confirm", "Без подтверждения"),
        ({"email": "nope"}, "email", "адрес электронной почты"),
        ({"inn": ""}, "inn", ""),
    ],
)
def test_bad_application_shows_field_messages_and_saves_nothing(
    client, vorkuta, overrides, field, message
):
    response = client.post(APPLY, application(vorkuta, **overrides))
    assert response.status_code == 200
    errors = field_errors(response, field)
    assert errors and message in " ".join(errors), response.context["form"].errors
    text = response.content.decode()
    assert "Проверьте поля, отмеченные ниже" in text or "form-error" in text
    assert 'aria-invalid="true"' in text
    assert not Provider.objects.exists()
    assert not User.objects.filter(username="morozov").exists()


# ---------------------------------------------------------------- public page


def test_public_page_shows_the_card_and_published_programs(client, provider):
    shown = ProgramFactory(provider=provider, name="Робототехника для начинающих")
    ProgramFactory(provider=provider, name="Черновик", is_published=False)
    response = client.get(reverse("providers:public_detail", args=[provider.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    for value in (provider.short_name, provider.inn, provider.ogrn, provider.licence_number):
        assert value in text
    assert f'href="/catalog/{shown.pk}/"' in text and "Робототехника для начинающих" in text
    assert "Черновик" not in text
    assert "Оценок пока нет" in text


def test_public_page_never_shows_bank_details(client, vorkuta):
    provider = ProviderFactory(
        municipality=vorkuta,
        bank_name="Банк Тайный",
        bik="048702640",
        settlement_account=VALID_ACCOUNT,
    )
    text = client.get(f"/providers/{provider.pk}/").content.decode()
    assert VALID_ACCOUNT not in text and "Банк Тайный" not in text


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (Status.ACTIVE, 200),
        (Status.NEEDS_CHECK, 200),
        (Status.UNDER_REVIEW, 404),
        (Status.REJECTED, 404),
        (Status.EXCLUDED, 404),
    ],
)
def test_public_page_only_for_registry_providers(client, operator, vorkuta, status, code):
    provider = ProviderFactory(municipality=vorkuta, status=status)
    assert client.get(f"/providers/{provider.pk}/").status_code == code
    # Even the operator gets the public page only for public providers.
    assert login(client, operator).get(f"/providers/{provider.pk}/").status_code == code


# ---------------------------------------------------------------- operator registry


def test_registry_lists_the_operators_municipality_with_filters(client, operator, vorkuta, inta):
    active = ProviderFactory(municipality=vorkuta, short_name="Полярный код")
    pending = ProviderFactory(
        municipality=vorkuta, short_name="Северное сияние", status=Status.UNDER_REVIEW
    )
    foreign = ProviderFactory(municipality=inta, short_name="Интинский ДДТ")
    login(client, operator)
    names = lambda r: {p.short_name for p in r.context["providers"]}  # noqa: E731
    response = client.get(REGISTRY)
    assert response.status_code == 200
    assert names(response) == {active.short_name, pending.short_name}
    assert foreign.short_name not in response.content.decode()
    assert names(client.get(REGISTRY, {"status": "under_review"})) == {pending.short_name}
    assert names(client.get(REGISTRY, {"q": "полярный"})) == {active.short_name}
    assert names(client.get(REGISTRY, {"q": pending.inn[:6]})) >= {pending.short_name}


@pytest.mark.parametrize("who", ["parent", "admin", "payer"])
def test_registry_is_closed_to_non_officials(client, request, who):
    login(client, request.getfixturevalue(who))
    assert client.get(REGISTRY).status_code == 403


def test_registry_needs_a_login(client, db):
    response = client.get(REGISTRY)
    assert response.status_code == 302 and "/login/" in response.url


def test_operator_card_shows_bank_details_and_the_decisions(client, operator, pending):
    response = login(client, operator).get(f"/cabinet/providers/{pending.pk}/")
    assert response.status_code == 200
    moves = [d["move"] for d in response.context["decisions"]]
    assert moves == ["include", "reject"]
    assert "Включить в реестр" in response.content.decode()


def test_operator_card_outside_the_scope_is_404(client, other_operator, provider, pending):
    login(client, other_operator)
    assert client.get(f"/cabinet/providers/{pending.pk}/").status_code == 404
    assert client.get(f"/cabinet/providers/{provider.pk}/").status_code == 404
    response = client.post(f"/cabinet/providers/{pending.pk}/decide/include/")
    assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.status == Status.UNDER_REVIEW


def test_operator_includes_from_the_card(client, operator, pending):
    response = login(client, operator).post(
        f"/cabinet/providers/{pending.pk}/decide/include/", {"reason": "Проверено"}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Status.ACTIVE and pending.status_reason == "Проверено"
    assert ActionLog.objects.filter(action="providers.included", actor=operator).exists()


def test_reject_without_a_reason_shows_the_field_message(client, operator, pending):
    response = login(client, operator).post(
        f"/cabinet/providers/{pending.pk}/decide/reject/", {"reason": ""}
    )
    assert response.status_code == 200
    decision = next(d for d in response.context["decisions"] if d["move"] == "reject")
    assert "Укажите причину" in decision["form"].errors["reason"][0]
    assert "Укажите причину" in response.content.decode()
    # The form that failed keeps its own ids and says the reason is required; the others
    # on the card ask for a comment.
    labels = {d["move"]: d["form"].fields["reason"].label for d in response.context["decisions"]}
    assert labels["reject"] == "Причина (обязательно)"
    assert labels["include"] == "Комментарий"
    assert 'id="reason-reject"' in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Status.UNDER_REVIEW


def test_decision_from_the_wrong_state_is_explained(client, operator, provider):
    response = login(client, operator).post(f"/cabinet/providers/{provider.pk}/decide/include/")
    assert response.status_code == 200
    assert "Включить в реестр можно только заявку на рассмотрении" in response.content.decode()
    assert (
        login(client, operator)
        .post(f"/cabinet/providers/{provider.pk}/decide/teleport/")
        .status_code
        == 404
    )


def test_exclusion_form_asks_about_the_contracts_with_field_messages(client, operator, provider):
    url = f"/cabinet/providers/{provider.pk}/decide/exclude/"
    page = login(client, operator).get(f"/cabinet/providers/{provider.pk}/").content.decode()
    assert 'data-testid="exclusion-contracts"' in page and 'name="terminate_on"' in page
    # No choice made.
    response = client.post(url, {"reason": "Нарушения"})
    assert response.status_code == 200
    form = next(d for d in response.context["decisions"] if d["move"] == "exclude")["form"]
    assert "Выберите, что будет" in form.errors["contracts"][0]
    # A date in the past.
    with clock.frozen(dt.date(2026, 12, 5)):
        response = client.post(
            url, {"reason": "Нарушения", "contracts": "terminate", "terminate_on": "2026-12-01"}
        )
    form = next(d for d in response.context["decisions"] if d["move"] == "exclude")["form"]
    assert "не может быть в прошлом" in form.errors["terminate_on"][0]
    assert "05.12.2026" in response.content.decode()
    # A date that is no date is the form's own message.
    response = client.post(
        url, {"reason": "Нарушения", "contracts": "terminate", "terminate_on": "31.02.2026"}
    )
    form = next(d for d in response.context["decisions"] if d["move"] == "exclude")["form"]
    assert form.errors["terminate_on"]
    provider.refresh_from_db()
    assert provider.status == Status.ACTIVE and provider.contracts_terminate_on is None


def test_operator_excludes_with_a_termination_date(client, operator, provider):
    with clock.frozen(dt.date(2026, 12, 5)):
        response = login(client, operator).post(
            f"/cabinet/providers/{provider.pk}/decide/exclude/",
            {"reason": "Нарушения", "contracts": "terminate", "terminate_on": "2026-12-20"},
        )
        assert response.status_code == 302
        provider.refresh_from_db()
        assert provider.status == Status.EXCLUDED
        assert provider.contracts_terminate_on == dt.date(2026, 12, 20)
        page = client.get(f"/cabinet/providers/{provider.pk}/").content.decode()
    assert "последний день — 20.12.2026" in page
    log = ActionLog.objects.get(action="providers.excluded")
    assert log.details["contracts_terminate_on"] == "2026-12-20"


def test_parent_may_not_decide(client, parent, pending):
    response = login(client, parent).post(f"/cabinet/providers/{pending.pk}/decide/include/")
    assert response.status_code == 403


def test_operator_sets_an_enrolment_limit(client, operator, provider):
    period = FinancingPeriodFactory(municipality=provider.municipality, name="ПФДО 2026/27")
    login(client, operator)
    card = client.get(f"/cabinet/providers/{provider.pk}/")
    assert "ПФДО 2026/27" in card.content.decode() and "без лимита" in card.content.decode()
    url = f"/cabinet/providers/{provider.pk}/limits/"
    response = client.post(url, {"period": period.pk, "max_children": "150"})
    assert response.status_code == 302
    assert EnrolmentLimit.objects.get(provider=provider, period=period).max_children == 150
    bad = client.post(url, {"period": period.pk, "max_children": "-5"})
    assert bad.status_code == 200
    assert "больше либо равно 0" in bad.content.decode()
    assert EnrolmentLimit.objects.get(provider=provider, period=period).max_children == 150
    foreign = FinancingPeriodFactory()
    assert client.post(url, {"period": foreign.pk, "max_children": "5"}).status_code == 404


# ---------------------------------------------------------------- «Моя организация»


def test_admin_sees_the_organisation_with_staff_and_bank(client, provider, admin, member):
    provider.bank_name = "Коми отделение"
    provider.save()
    response = login(client, admin).get(ORGANISATION)
    assert response.status_code == 200
    text = response.content.decode()
    assert provider.short_name in text and "Коми отделение" in text
    assert admin.username in text and member.username in text
    assert "Добавить сотрудника" in text and "Изменить сведения" in text


def test_plain_staff_sees_but_cannot_manage(client, provider, member):
    login(client, member)
    text = client.get(ORGANISATION).content.decode()
    assert provider.short_name in text and "Добавить сотрудника" not in text
    assert client.get(ORGANISATION + "edit/").status_code == 403
    response = client.post(ORGANISATION + "staff/add/", {"login": "x", "last_name": "Х"})
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["parent", "operator"])
def test_organisation_is_for_provider_staff(client, request, who):
    assert login(client, request.getfixturevalue(who)).get(ORGANISATION).status_code == 403


def test_staff_role_without_an_organisation_is_told_what_to_do(client, make_user, vorkuta):
    user = make_user("provider_staff", municipality=vorkuta)
    response = login(client, user).get(ORGANISATION)
    assert response.status_code == 200
    assert "не привязан" in response.content.decode()


def test_admin_edits_the_card(client, provider, admin):
    login(client, admin)
    form = client.get(ORGANISATION + "edit/").context["form"]
    assert form.fields["inn"].disabled  # included providers keep their ИНН
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(phone="+7 82151 99999", inn=make_inn10(777), licence_exempt="")
    response = client.post(ORGANISATION + "edit/", data)
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.phone == "+7 82151 99999"
    assert provider.inn != make_inn10(777)  # the locked field ignored the posted value


def test_edit_shows_field_messages(client, pending):
    # Under review the whole card is editable, bank details too (checked at inclusion).
    admin = add_staff(pending).user
    provider = pending
    login(client, admin)
    form = client.get(ORGANISATION + "edit/").context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(licence_number="", licence_exempt="", bik="123", bank_name="Банк")
    response = client.post(ORGANISATION + "edit/", data)
    assert response.status_code == 200
    assert "Укажите номер лицензии" in " ".join(field_errors(response, "licence_number"))
    assert field_errors(response, "bik")
    provider.refresh_from_db()
    assert provider.licence_number


def test_admin_adds_staff_and_sees_the_password_once(client, provider, admin):
    response = login(client, admin).post(
        ORGANISATION + "staff/add/",
        {"login": "teacher7", "last_name": "Сидорова", "first_name": "Елена", "is_admin": ""},
    )
    assert response.status_code == 200
    text = response.content.decode()
    password = re.search(r'data-testid="issued-password">([^<]+)<', text).group(1)
    user = User.objects.get(username="teacher7")
    assert user.check_password(password) and user.must_change_password
    assert ProviderStaff.objects.get(user=user).provider == provider
    # The organisation page never shows it again.
    assert password not in client.get(ORGANISATION).content.decode()


def test_add_staff_field_errors(client, provider, admin):
    response = login(client, admin).post(
        ORGANISATION + "staff/add/",
        {"login": admin.username, "last_name": "Сидорова", "first_name": "Елена"},
    )
    assert response.status_code == 200
    assert "логин уже занят" in " ".join(field_errors(response, "login")).lower() or "занят" in (
        response.content.decode()
    )
    assert "занят" in " ".join(response.context["staff_form"].errors["login"])
    assert ProviderStaff.objects.filter(provider=provider).count() == 1


def test_admin_deactivates_staff(client, provider, admin, member, stranger_admin):
    login(client, admin)
    row = ProviderStaff.objects.get(user=member)
    response = client.post(ORGANISATION + f"staff/{row.pk}/deactivate/")
    assert response.status_code == 302
    row.refresh_from_db()
    assert not row.is_active
    foreign = ProviderStaff.objects.get(user=stranger_admin)
    assert client.post(ORGANISATION + f"staff/{foreign.pk}/deactivate/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active
    own = ProviderStaff.objects.get(user=admin)
    response = client.post(ORGANISATION + f"staff/{own.pk}/deactivate/", follow=True)
    assert "Нельзя отключить самого себя" in response.content.decode()


def test_rejected_provider_resubmits_from_the_cabinet(client, vorkuta, operator):
    provider = ProviderFactory(
        municipality=vorkuta, status=Status.REJECTED, status_reason="Нет устава"
    )
    admin = add_staff(provider).user
    login(client, admin)
    page = client.get(ORGANISATION).content.decode()
    assert "Нет устава" in page and "подать заявку повторно" in page
    response = client.post(ORGANISATION + "resubmit/")
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.status == Status.UNDER_REVIEW
