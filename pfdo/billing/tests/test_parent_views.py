"""The family's billing page: their child's attendance and the month charges of a contract;
nobody else's."""

from __future__ import annotations

import datetime as dt
import html as html_lib

import pytest
from django.urls import reverse

from pfdo.billing import services
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract, staff_of
from pfdo.common import clock

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 12, 2)  # October and November have ended
MONTH = 200_000
NBSP = "\u00a0"


def rub(kopecks: int) -> str:
    roubles, kop = divmod(kopecks, 100)
    return f"{roubles:,}".replace(",", NBSP) + f",{kop:02d}{NBSP}₽"


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def login(client, user):
    type(user).objects.filter(pk=user.pk).update(must_change_password=False)
    client.force_login(user)
    return client


def url(contract) -> str:
    return reverse("billing:parent_attendance", args=[contract.pk])


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def payer(make_user, vorkuta):
    return make_user("payer", municipality=vorkuta)


@pytest.fixture
def group(vorkuta):
    approved_period(vorkuta)
    return ready_group(vorkuta)


@pytest.fixture
def staff(group):
    return staff_of(group.module.program.provider)


@pytest.fixture
def signed(vorkuta, operator, group):
    return signed_contract(vorkuta, operator, group, first_name="Алиса")


def bill(provider, month, staff, payer, *, accept=True):
    invoice = services.build_invoice(actor=staff, provider=provider, month=month)
    invoice = services.submit_invoice(actor=staff, invoice=invoice)
    return services.accept_invoice(actor=payer, invoice=invoice) if accept else invoice


def test_parent_sees_attendance_and_charges_of_their_child(client, group, staff, payer, signed):
    fam, contract = signed
    lessons = services.ensure_lessons(group=group, month=OCT)
    assert len(lessons) >= 3
    first, second, third = lessons[:3]
    services.mark_attendance(actor=staff, lesson=first, marks={contract.pk: True})
    services.mark_attendance(actor=staff, lesson=second, marks={contract.pk: False})
    services.move_lesson(
        actor=staff,
        lesson=third,
        held_on=third.held_on + dt.timedelta(days=1),
        starts_at=dt.time(10, 0),
        ends_at=dt.time(11, 30),
    )
    third.refresh_from_db()
    services.mark_attendance(actor=staff, lesson=third, marks={contract.pk: True})
    provider = group.module.program.provider
    bill(provider, OCT, staff, payer)
    bill(provider, NOV, staff, payer, accept=False)  # submitted only: not a charge yet

    response = login(client, fam.parent).get(url(contract))
    assert response.status_code == 200
    html = text(response)
    assert "Алиса" in html and contract.number in html
    assert f'data-testid="mark-{first.pk}"' in html and f'data-testid="mark-{second.pk}"' in html
    row = html[html.index(f'mark-{first.pk}"') :]
    assert f"{first.held_on:%d.%m.%Y}" in row[:200] and "был(а)" in row[:400]
    row = html[html.index(f'mark-{second.pk}"') :]
    assert "не был(а)" in row[:400]
    row = html[html.index(f'mark-{third.pk}"') :]
    assert f"перенесено с {third.scheduled_on:%d.%m}" in row[:300] and "10:00–11:30" in row[:400]
    assert 'present-count">2<' in html
    # October's charge with its basis; November is not accepted yet.
    assert 'data-testid="charge-2026-10"' in html
    charge = html[html.index('charge-2026-10"') :]
    assert "Октябрь 2026" in charge[:120] and rub(MONTH) in charge[:300]
    assert "полный месяц" in charge[:400]
    assert 'charge-2026-11"' not in html
    assert f'charged-total">{rub(MONTH)}<' in html


def test_no_marks_and_no_charges_yet(client, signed):
    fam, contract = signed
    html = text(login(client, fam.parent).get(url(contract)))
    assert "Поставщик ещё не отмечал посещаемость" in html
    assert "Счетов по этому договору пока не было." in html


def test_another_family_gets_404(client, vorkuta, operator, group, signed):
    _, contract = signed
    other, own = signed_contract(vorkuta, operator, group, last_name="Орлова")
    login(client, other.parent)
    assert client.get(url(contract)).status_code == 404
    assert client.get(url(own)).status_code == 200
    assert client.get(reverse("billing:parent_attendance", args=[10**9])).status_code == 404


def test_only_parents_open_the_page(client, make_user, vorkuta, operator, staff, signed):
    _, contract = signed
    for user in (staff, operator, make_user("payer", municipality=vorkuta)):
        login(client, user)
        assert client.get(url(contract)).status_code == 403
    client.logout()
    response = client.get(url(contract))
    assert response.status_code == 302 and "login" in response["Location"]
