"""Parent's enrolment pages: terms before applying, refusals, applications, contracts, access."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.urls import reverse

from pfdo.accounts.tests.factories import UserFactory, grant
from pfdo.catalog.models import Group
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificate_services
from pfdo.certificates.tests.factories import issue_certificate
from pfdo.common import clock
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.ledger.selectors import verify_ledger

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 28)
NOMINAL = 2_417_100
NBSP = "\u00a0"
LIST = reverse("enrolment:parent_list")


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def fam(vorkuta, operator, period):
    return family(vorkuta, operator)


def rub(kopecks: int) -> str:
    """The money filter's text: 1 400 000 → '14 000,00 ₽' with no-break spaces."""
    roubles, kop = divmod(kopecks, 100)
    return f"{roubles:,}".replace(",", NBSP) + f",{kop:02d}{NBSP}₽"


def login(client, user):
    type(user).objects.filter(pk=user.pk).update(must_change_password=False)
    client.force_login(user)


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def plain(page: str) -> str:
    """The page's words without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def cell(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', page, re.S)
    assert found, f"no {testid} on the page"
    return re.sub(r"[ \t\r\n]+", " ", found.group(1)).strip()


def messages_of(page: str) -> str:
    found = re.search(r'<ul class="messages">(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


def apply_url(group, certificate=None) -> str:
    url = reverse("enrolment:apply", args=[group.pk])
    return f"{url}?certificate={certificate.pk}" if certificate else url


def application_url(application) -> str:
    return reverse("enrolment:parent_application", args=[application.pk])


def contract_url(contract, action: str = "") -> str:
    name = f"enrolment:parent_contract_{action}" if action else "enrolment:parent_contract"
    return reverse(name, args=[contract.pk])


def offered(fam, group) -> Contract:
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    return services.confirm(actor=staff_of(group.module.program.provider), application=application)


def active(fam, group) -> Contract:
    return services.accept(actor=fam.parent, contract=offered(fam, group))


# ------------------------------------------------------------------------- apply page


def test_apply_page_shows_the_terms_before_applying(client, fam):
    group = ready_group(fam.child.municipality, price=1_800_000, normative=2_000_000)
    login(client, fam.parent)
    page = text(client.get(apply_url(group)))
    # 28 Nov 2026 – 31 May 2027: 7 of the group's 9 months.
    price = 1_800_000 * 7 // 9
    normative = 2_000_000 * 7 // 9
    assert (price, normative) == (1_400_000, 1_555_555)
    assert "с 28.11.2026 по 31.05.2027 — 7 мес." in plain(page)
    assert cell(page, "terms-price") == rub(price)
    assert cell(page, "terms-normative") == rub(normative)
    assert cell(page, "terms-available") == rub(NOMINAL)
    assert cell(page, "terms-certificate") == rub(price)
    assert cell(page, "terms-copay") == "нет"
    assert cell(page, "terms-remaining") == rub(NOMINAL - price)
    months = re.search(r'data-testid="terms-months">(.*?)</table>', page, re.S).group(1)
    assert months.count("<tr>") == 1 + 7
    assert "Ноябрь 2026" in months and "Май 2027" in months
    assert months.count(rub(price // 7)) == 7
    assert "Вторник, 16:00–17:30" in cell(page, "schedule")  # the group's schedule
    assert 'name="copay_agreed"' not in page  # no co-payment, no consent to ask
    assert "резервируются только тогда, когда вы примете договор" in page
    assert not Application.objects.exists()


def test_apply_creates_the_application_and_a_repost_creates_nothing(client, fam, period):
    group = ready_group(fam.child.municipality)
    login(client, fam.parent)
    data = {"certificate": fam.certificate.pk, "once": "token-1"}
    response = client.post(apply_url(group), data)
    application = Application.objects.get()
    assert response.status_code == 302 and response.url == application_url(application)
    assert application.status == Application.Status.NEW and application.parent == fam.parent
    page = text(client.get(response.url))
    assert "Заявка подана" in messages_of(page)
    assert cell(page, "status") == "новая, ждёт решения поставщика"
    # Nothing is reserved before the parent accepts a contract.
    assert certificate_selectors.balance(fam.certificate, period).reserved_kopecks == 0
    # The same page posted again (a double click): the first application, no second.
    again = client.post(apply_url(group), data, follow=True)
    assert again.redirect_chain[-1][0] == application_url(application)
    assert "уже подана" in messages_of(text(again))
    # A stale copy of the page (another token): the service refuses, shown as a message.
    stale = client.post(apply_url(group), {**data, "once": "token-2"})
    assert stale.status_code == 200
    assert "Ребёнок уже записан или ждёт места в этой группе" in text(stale)
    assert Application.objects.count() == 1
    assert Group.objects.get(pk=group.pk).seats_taken == 1


def test_full_group_puts_the_application_on_the_waitlist(client, vorkuta, operator, period):
    group = ready_group(vorkuta, capacity=1)
    first, second = family(vorkuta, operator), family(vorkuta, operator)
    services.apply(actor=first.parent, certificate=first.certificate, group=group)
    login(client, second.parent)
    page = text(client.get(apply_url(group)))
    assert "Встать в лист ожидания" in page
    response = client.post(apply_url(group), {"certificate": second.certificate.pk}, follow=True)
    page = text(response)
    assert "заявка в листе ожидания (1-я)" in messages_of(page)
    assert cell(page, "position") == "1"
    listing = text(client.get(LIST))
    assert cell(listing, "position") == "Место в очереди: 1"


def _age(vorkuta, fam, operator):
    return ready_group(vorkuta, age_from_months=12 * 12)


def _suspended(vorkuta, fam, operator):
    certificate_services.suspend_certificate(
        actor=operator, certificate=fam.certificate, reason="Проверка"
    )
    return ready_group(vorkuta)


def _clash(vorkuta, fam, operator):
    services.apply(actor=fam.parent, certificate=fam.certificate, group=ready_group(vorkuta))
    return ready_group(vorkuta, starts_at=dt.time(17, 0), ends_at=dt.time(18, 0))


def _closed(vorkuta, fam, operator):
    group = ready_group(vorkuta)
    Group.objects.filter(pk=group.pk).update(enrolment_open=False)
    return group


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_age, "Программа для детей от 12 лет до 14 лет; ребёнку на начало занятий 10 лет."),
        (_suspended, "приостановлен: записаться по нему нельзя"),
        (_clash, "Занятия пересекаются с группой"),
        (_closed, "Запись в эту группу сейчас закрыта."),
    ],
    ids=["age", "suspended", "clash", "closed"],
)
def test_each_refusal_is_shown_before_and_after_the_click(
    client, vorkuta, operator, fam, make, message
):
    group = make(vorkuta, fam, operator)
    before = Application.objects.count()
    login(client, fam.parent)
    page = text(client.get(apply_url(group)))
    assert message in cell(page, "refusal")
    assert 'data-testid="apply-form"' not in page
    # A page opened before the change still posts: the refusal is a message, not a 500.
    response = client.post(apply_url(group), {"certificate": fam.certificate.pk})
    assert response.status_code == 200
    summary = re.search(r'<div class="error-summary[^"]*"[^>]*>(.*?)</div>', text(response), re.S)
    assert summary and message in re.sub(r"\s+", " ", summary.group(1))
    assert Application.objects.count() == before


def test_accounting_certificate_on_a_paid_programme(client, vorkuta, operator, period):
    fam = family(vorkuta, operator, wants_financing=False)
    paid = ready_group(vorkuta)
    login(client, fam.parent)
    page = text(client.get(apply_url(paid)))
    assert "Сертификат учёта даёт право только на бесплатные" in cell(page, "refusal")
    response = client.post(apply_url(paid), {"certificate": fam.certificate.pk})
    assert "Сертификат учёта даёт право только на бесплатные" in text(response)
    assert not Application.objects.exists()
    # A budget programme is free for it: no money rows, and applying works.
    free = ready_group(vorkuta, weekday=4, budget_registry="significant")
    page = text(client.get(apply_url(free)))
    assert "Бесплатно: программа входит в бюджетный реестр" in page
    assert 'data-testid="terms-price"' not in page
    response = client.post(apply_url(free), {"certificate": fam.certificate.pk})
    assert response.status_code == 302
    assert Application.objects.get().status == Application.Status.NEW


def test_copay_needs_the_parents_consent(client, fam):
    pricey = ready_group(fam.child.municipality, price=9_000_000, normative=2_000_000)
    login(client, fam.parent)
    page = text(client.get(apply_url(pricey)))
    part = 2_000_000 * 7 // 9
    copay = 9_000_000 * 7 // 9 - part
    assert cell(page, "terms-certificate") == rub(part)
    assert cell(page, "terms-copay") == rub(copay)
    assert 'name="copay_agreed"' in page
    response = client.post(apply_url(pricey), {"certificate": fam.certificate.pk})
    page = text(response)
    assert response.status_code == 200
    errors = re.search(r'id="id_copay_agreed_error"[^>]*>(.*?)</ul>', page, re.S).group(1)
    assert "Подтвердите согласие на доплату" in errors and rub(copay) in errors
    assert not Application.objects.exists()
    response = client.post(
        apply_url(pricey), {"certificate": fam.certificate.pk, "copay_agreed": "on"}
    )
    assert response.status_code == 302
    assert Application.objects.get().copay_agreed is True


def test_terms_that_cannot_be_computed_show_the_reason(client, fam):
    finished = ready_group(
        fam.child.municipality, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 10, 31)
    )
    login(client, fam.parent)
    page = text(client.get(apply_url(finished)))
    assert page.count("Занятия группы в этом периоде уже закончились.") == 1
    assert 'data-testid="terms-table"' not in page


def test_a_parent_with_two_children_chooses_one(client, vorkuta, operator, fam):
    second = issue_certificate(
        operator=operator,
        municipality=vorkuta,
        parent=fam.parent,
        first_name="Олег",
        sex="m",
        birth_date=dt.date(2014, 3, 1),
    ).certificate
    group = ready_group(vorkuta)
    login(client, fam.parent)
    page = text(client.get(apply_url(group)))
    assert 'data-testid="choose-child"' in page and 'data-testid="terms"' not in page
    page = text(client.get(apply_url(group, second)))
    assert "Условия для ребёнка: Олег" in page
    assert f'name="certificate" value="{second.pk}"' in page
    # Someone else's certificate in the URL or the form is not an option.
    other = family(vorkuta, operator)
    page = text(client.get(apply_url(group, other.certificate)))
    assert 'data-testid="terms"' not in page
    response = client.post(apply_url(group), {"certificate": other.certificate.pk})
    assert response.status_code == 200
    assert "этот сертификат недоступен" in text(response)
    assert not Application.objects.exists()


def test_unpublished_group_is_404_and_a_parent_without_certificate_is_told(
    client, vorkuta, make_user, period
):
    parent = make_user("parent", municipality=vorkuta)
    hidden = ready_group(vorkuta, is_published=False)
    shown = ready_group(vorkuta)
    login(client, parent)
    assert client.get(apply_url(hidden)).status_code == 404
    page = text(client.get(apply_url(shown)))
    assert 'data-testid="no-certificate"' in page


# --------------------------------------------------------------- applications and list


def test_withdraw_frees_the_place_and_a_second_click_is_a_message(client, fam):
    group = ready_group(fam.child.municipality)
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    login(client, fam.parent)
    page = text(client.get(application_url(application)))
    url = reverse("enrolment:parent_application_cancel", args=[application.pk])
    assert re.search(rf'href="{url}"[^>]*data-testid="cancel"', page)  # a link to the question
    # One click used to withdraw: now the first step asks, and changes nothing.
    for first_step in (client.get(url), client.post(url)):
        asked = text(first_step)
        assert first_step.status_code == 200
        assert "Отозвать заявку?" in asked and 'data-testid="cancel-confirm"' in asked
        assert "Место в группе освободится" in asked
        application.refresh_from_db()
        assert application.status == Application.Status.NEW
        assert Group.objects.get(pk=group.pk).seats_taken == 1
    response = client.post(url, {"confirmed": "yes"}, follow=True)
    assert "Заявка отозвана" in messages_of(text(response))
    application.refresh_from_db()
    assert application.status == Application.Status.CANCELLED
    assert Group.objects.get(pk=group.pk).seats_taken == 0
    again = client.post(url, {"confirmed": "yes"}, follow=True)
    assert again.status_code == 200
    assert "отозвать её нельзя" in messages_of(text(again))
    assert "отозвать её нельзя" in cell(text(client.get(url)), "cancel-refusal")


def test_confirm_an_in_person_enrolment(client, fam, period):
    group = ready_group(fam.child.municipality)
    provider = group.module.program.provider
    application = services.apply_in_person(
        actor=staff_of(provider),
        certificate_number=fam.certificate.number,
        surname=fam.child.last_name,
        group=group,
    )
    login(client, fam.parent)
    page = text(client.get(application_url(application)))
    block = " ".join(cell(page, "confirm-block").split()) + page
    assert provider.short_name in block
    assert "если вы не обращались к поставщику — не подтверждайте" in page.lower()
    assert cell(page, "terms-certificate") == rub(1_400_000)
    url = reverse("enrolment:parent_application_confirm", args=[application.pk])
    response = client.post(url)
    contract = Contract.objects.get(application=application)
    assert response.status_code == 302 and response.url == contract_url(contract)
    assert contract.status == Contract.Status.OFFERED
    # Confirming offers the contract; nothing is reserved until the parent accepts it.
    assert certificate_selectors.balance(fam.certificate, period).reserved_kopecks == 0
    again = client.post(url, follow=True)
    assert "подтверждение не требуется" in messages_of(text(again))
    assert Contract.objects.count() == 1


def test_list_shows_applications_contracts_and_past_ones(client, vorkuta, fam):
    offer = offered(fam, ready_group(vorkuta, weekday=1))
    waiting = services.apply(
        actor=fam.parent, certificate=fam.certificate, group=ready_group(vorkuta, weekday=3)
    )
    gone = services.apply(
        actor=fam.parent, certificate=fam.certificate, group=ready_group(vorkuta, weekday=5)
    )
    services.cancel(actor=fam.parent, application=gone)
    login(client, fam.parent)
    page = text(client.get(LIST))
    contract_block = cell(page, "contract")
    assert f"Договор № {offer.number}" in contract_block
    assert "Ждёт вашего решения до" in page
    assert f"Заявка №{waiting.pk}" in page
    past = re.search(r'data-testid="past">(.*?)</details>', page, re.S).group(1)
    assert f"Заявка №{gone.pk}" in past and "отозвана родителем" in past
    assert f"Заявка №{waiting.pk}" not in past


# ------------------------------------------------------------------------- contracts


def test_offer_shows_the_balance_and_accepting_reserves_it_once(client, fam, period):
    contract = offered(fam, ready_group(fam.child.municipality))
    login(client, fam.parent)
    page = text(client.get(contract_url(contract)))
    assert cell(page, "available") == rub(NOMINAL)
    assert cell(page, "remaining-after") == rub(NOMINAL - 1_400_000)
    assert 'data-testid="offer-deadline"' in page
    assert cell(page, "provider").startswith(contract.provider.full_name)
    assert cell(page, "child") == fam.child.full_name
    months = re.search(r'data-testid="months">(.*?)</table>', page, re.S).group(1)
    assert "Ноябрь 2026" in months and "Май 2027" in months
    response = client.post(contract_url(contract, "accept"), follow=True)
    page = text(response)
    assert f"зарезервировано {rub(1_400_000)}" in messages_of(page)
    assert cell(page, "status") == "действует"
    assert page.count("в резерве") == 7
    money = certificate_selectors.balance(fam.certificate, period)
    assert money.reserved_kopecks == 1_400_000
    # A stale page posts "accept" again: refused as a message, nothing reserved twice.
    again = client.post(contract_url(contract, "accept"), follow=True)
    assert again.status_code == 200
    assert "Договор действует: принять его нельзя." in messages_of(text(again))
    assert certificate_selectors.balance(fam.certificate, period) == money
    assert verify_ledger() == []


def test_decline_frees_the_place_for_the_next_in_line(client, vorkuta, operator, period):
    group = ready_group(vorkuta, capacity=1)
    first, second = family(vorkuta, operator), family(vorkuta, operator)
    contract = offered(first, group)
    waiting = services.apply(actor=second.parent, certificate=second.certificate, group=group)
    login(client, first.parent)
    response = client.post(contract_url(contract, "decline"), follow=True)
    assert "Вы отказались от договора" in messages_of(text(response))
    contract.refresh_from_db()
    assert contract.status == Contract.Status.DECLINED
    assert certificate_selectors.balance(first.certificate, period).reserved_kopecks == 0
    waiting.refresh_from_db()
    assert waiting.status == Application.Status.OFFERED  # the freed place went on
    assert Group.objects.get(pk=group.pk).seats_taken == 1
    again = client.post(contract_url(contract, "decline"), follow=True)
    assert "отказаться от него нельзя" in messages_of(text(again))


def test_terminate_needs_the_confirmation_and_returns_the_money_once(client, fam, period):
    contract = active(fam, ready_group(fam.child.municipality))
    login(client, fam.parent)
    before = certificate_selectors.balance(fam.certificate, period)
    assert before.available_kopecks == NOMINAL - 1_400_000
    page = text(client.get(contract_url(contract)))
    assert 'data-testid="terminate"' in page
    # A plain POST without the confirmation is refused with a message next to the box.
    response = client.post(contract_url(contract, "terminate"), {"reason": "Переезд"})
    page = text(response)
    assert response.status_code == 200
    assert "подтвердите расторжение" in messages_of(page)
    errors = re.search(r'id="id_confirm_error"[^>]*>(.*?)</ul>', page, re.S).group(1)
    assert "без подтверждения договор не расторгается" in errors
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE
    assert certificate_selectors.balance(fam.certificate, period) == before
    # With the confirmation: terminated at once; December–May (6 × 2 000 ₽) come back now,
    # November (the month in progress) stays reserved for billing.
    url = contract_url(contract, "terminate")
    response = client.post(url, {"confirm": "on", "reason": "Переезд"}, follow=True)
    page = text(response)
    assert f"На сертификат возвращено {rub(1_200_000)}" in messages_of(page)
    assert cell(page, "released") == rub(1_200_000)
    assert cell(page, "status") == "расторгнут"
    after = certificate_selectors.balance(fam.certificate, period)
    assert after.available_kopecks == before.available_kopecks + 1_200_000
    assert after.reserved_kopecks == 200_000
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert contract.terminated_by == Contract.TerminatedBy.PARENT
    assert contract.termination_reason == "Переезд"
    # The same page posted again: refused as a message, nothing returned twice.
    again = client.post(url, {"confirm": "on"}, follow=True)
    assert again.status_code == 200
    assert "расторгнуть можно только действующий" in messages_of(text(again))
    unconfirmed = client.post(url, {}, follow=True)
    assert "Договор расторгнут: расторгнуть можно только действующий" in messages_of(
        text(unconfirmed)
    )
    assert certificate_selectors.balance(fam.certificate, period) == after
    assert verify_ledger() == []


def test_second_offer_shows_the_recomputed_terms_and_the_agreement_is_posted(
    client, vorkuta, fam, period
):
    """Scenario 11 on the page (was: a short balance refused the second offer). The page
    shows the terms of accepting today, the new co-payment, and posts the amount shown."""
    groups = [ready_group(vorkuta, weekday=d, price=2_000_000, normative=2_000_000) for d in (1, 3)]
    first, second = offered(fam, groups[0]), offered(fam, groups[1])
    services.accept(actor=fam.parent, contract=first)
    left = NOMINAL - first.certificate_kopecks
    copay = second.price_kopecks - left
    login(client, fam.parent)
    page = text(client.get(contract_url(second)))
    assert "Условия изменились" in cell(page, "terms-changed")
    assert rub(copay) in cell(page, "terms-changed")
    assert cell(page, "to-reserve") == rub(left)
    assert f'name="copay_kopecks" value="{copay}"' in page
    # A page opened before the change posts the offer's co-payment: refused with the figures.
    response = client.post(contract_url(second, "accept"), {"copay_kopecks": "0"}, follow=True)
    shown = messages_of(text(response))
    assert "Условия договора" in shown and rub(copay) in shown
    second.refresh_from_db()
    assert second.status == Contract.Status.OFFERED
    response = client.post(
        contract_url(second, "accept"), {"copay_kopecks": str(copay)}, follow=True
    )
    assert cell(text(response), "status") == "действует"
    second.refresh_from_db()
    assert (second.certificate_kopecks, second.copay_kopecks) == (left, copay)
    assert certificate_selectors.balance(fam.certificate, period).available_kopecks == 0
    assert verify_ledger() == []


# -------------------------------------------------------------------------- access


def test_another_parent_gets_404_everywhere(client, vorkuta, operator, fam, period):
    group = ready_group(vorkuta)
    contract = active(fam, group)
    other_group_application = services.apply(
        actor=fam.parent,
        certificate=fam.certificate,
        group=ready_group(vorkuta, weekday=4, price=900_000),
    )
    stranger = family(vorkuta, operator)
    login(client, stranger.parent)
    for url in (
        application_url(contract.application),
        application_url(other_group_application),
        contract_url(contract),
        reverse("enrolment:contract_print", args=[contract.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("enrolment:parent_application_cancel", args=[other_group_application.pk]),
        reverse("enrolment:parent_application_confirm", args=[other_group_application.pk]),
        contract_url(contract, "accept"),
        contract_url(contract, "decline"),
        contract_url(contract, "terminate"),
    ):
        assert client.post(url, {"confirm": "on", "confirmed": "yes"}).status_code == 404, url
    cancel = reverse("enrolment:parent_application_cancel", args=[other_group_application.pk])
    assert client.get(cancel).status_code == 404
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE
    other_group_application.refresh_from_db()
    assert other_group_application.status == Application.Status.NEW
    assert fam.child.full_name not in text(client.get(LIST))


def test_an_official_who_is_also_a_parent_sees_only_own_family_here(client, vorkuta, fam):
    contract = active(fam, ready_group(vorkuta))
    official = UserFactory()
    grant(official, "operator", municipality=vorkuta)
    grant(official, "parent", municipality=vorkuta)
    login(client, official)
    assert client.get(contract_url(contract)).status_code == 404
    assert client.get(application_url(contract.application)).status_code == 404
    assert client.post(contract_url(contract, "terminate"), {"confirm": "on"}).status_code == 404
    # The printable contract is for officials of the municipality too.
    assert client.get(reverse("enrolment:contract_print", args=[contract.pk])).status_code == 200


def test_printable_contract_for_family_staff_and_operator(client, vorkuta, operator, fam):
    contract = active(fam, ready_group(vorkuta))
    url = reverse("enrolment:contract_print", args=[contract.pk])
    staff = staff_of(contract.provider)
    for user in (fam.parent, staff, operator):
        login(client, user)
        response = client.get(url)
        assert response.status_code == 200, user
        page = text(response)
        assert cell(page, "number") == contract.number
        assert "css/contract-print.css" in page  # its print styles
        assert cell(page, "certificate-part") == rub(1_400_000)
        assert "no-cache" in response["Cache-Control"]
    other_staff = staff_of(ready_group(vorkuta).module.program.provider)
    login(client, other_staff)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_contract_says_how_to_whom_and_when_the_copay_is_paid(client, vorkuta, fam):
    # The contract did not say how, to whom and when the family pays its co-payment.
    group = ready_group(vorkuta, price=9_000_000, normative=2_000_000)
    provider = group.module.program.provider
    application = services.apply(
        actor=fam.parent, certificate=fam.certificate, group=group, copay_agreed=True
    )
    contract = services.confirm(actor=staff_of(provider), application=application)
    login(client, fam.parent)
    offer = plain(text(client.get(contract_url(contract))))
    assert f"Доплату семья платит поставщику — {provider.full_name}, ИНН {provider.inn}" in offer
    assert "по договору с организацией" in offer  # no bank details on file: none invented
    services.accept(actor=fam.parent, contract=contract, copay_kopecks=contract.copay_kopecks)
    provider.bank_name, provider.bik = "ПАО Сбербанк", "048702640"
    provider.settlement_account, provider.correspondent_account = "40702810028000001234", ""
    provider.save()
    for url in (contract_url(contract), reverse("enrolment:contract_print", args=[contract.pk])):
        page = text(client.get(url))
        said = plain(cell(page, "copay-payment"))
        assert provider.full_name in said
        assert "расчётный счёт 40702810028000001234 в ПАО Сбербанк, БИК 048702640" in said
        assert "помесячно" in said and "в срок, установленный договором" in said


def test_parent_pages_are_for_parents(client, operator, fam):
    application = services.apply(
        actor=fam.parent, certificate=fam.certificate, group=ready_group(fam.child.municipality)
    )
    login(client, operator)
    assert client.get(LIST).status_code == 403
    assert client.get(application_url(application)).status_code == 403
    client.logout()
    assert client.get(LIST).status_code == 302


# ------------------------------------------------------------------------ catalogue


def test_programme_page_has_the_enrol_entry(client, vorkuta, operator, fam):
    group = ready_group(vorkuta)
    full = ready_group(vorkuta, capacity=1, provider=group.module.program.provider)
    Group.objects.filter(pk=full.pk).update(seats_taken=1)
    detail = reverse("catalog:program_detail", args=[group.module.program_id])
    apply = reverse("enrolment:apply", args=[group.pk])
    page = text(client.get(detail))
    login_link = re.search(r'<a href="([^"]+)" data-testid="enrol-login">', page).group(1)
    assert login_link == f"{reverse('accounts:login')}?next={apply}"
    assert "Войдите, чтобы записаться" in page and 'data-testid="enrol-link"' not in page
    login(client, fam.parent)
    page = text(client.get(detail))
    assert f'<a href="{apply}" role="button" data-testid="enrol-link">Записаться</a>' in page
    assert "Войдите, чтобы записаться" not in page
    full_page = text(client.get(reverse("catalog:program_detail", args=[full.module.program_id])))
    assert "Записаться в лист ожидания" in full_page
    login(client, operator)
    page = text(client.get(detail))
    assert "enrol-link" not in page and "enrol-login" not in page
