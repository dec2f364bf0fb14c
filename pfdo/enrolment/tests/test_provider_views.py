"""Provider's and operator's enrolment pages: decisions, in person, register, export, rosters."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from pfdo.catalog.models import Group, Module, Program
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificate_services
from pfdo.common import clock
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.ledger.selectors import verify_ledger
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 28)
BIRTH = dt.date(2016, 5, 14)  # ten years old on TODAY
BIRTH_SHAPES = ("14.05.2016", "2016-05-14", "14 мая 2016", "14.05.16")

pytestmark = pytest.mark.django_db

APPLICATIONS = "/cabinet/provider/applications/"
ENROL = "/cabinet/provider/enrol/"
CONTRACTS = "/cabinet/provider/contracts/"
EXPORT = "/cabinet/provider/contracts/export.xlsx"
OPERATOR_CONTRACTS = "/cabinet/operator/contracts/"
OPERATOR_EXPORT = "/cabinet/operator/contracts/export.xlsx"


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def group(vorkuta, period):
    return ready_group(vorkuta)


@pytest.fixture
def staff(group):
    return staff_of(group.module.program.provider)


@pytest.fixture
def other_staff(vorkuta, period):
    """Staff of another provider of the same municipality."""
    return staff_of(ready_group(vorkuta).module.program.provider)


@pytest.fixture
def fam(vorkuta, operator, period):
    return family(vorkuta, operator, email="irina.petrova@example.org", birth_date=BIRTH)


def client_for(client, user):
    client.force_login(user)
    return client


def identifiers(child) -> list[str]:
    """What must never reach a provider: СНИЛС (as stored and as shown), the document."""
    return [child.snils, child.snils_display, child.document_number, *BIRTH_SHAPES]


def assert_no_identifiers(html: str, child) -> None:
    for secret in identifiers(child):
        assert secret not in html, secret


def text(response) -> str:
    return response.content.decode()


def active_contract(fam, group, staff):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    contract = services.confirm(actor=staff, application=application)
    return services.accept(actor=fam.parent, contract=contract)


# ------------------------------------------------------------------------- applications


def test_incoming_list_shows_name_age_deadline_and_only_own(client, fam, group, staff, other_staff):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    page = client_for(client, staff).get(APPLICATIONS)
    assert page.status_code == 200
    html = text(page)
    assert fam.child.full_name in html and "10 лет" in html
    assert group.name in html
    assert f"{timezone.localtime(application.decide_by):%d.%m.%Y %H:%M}" in html
    assert reverse("enrolment:provider_application_confirm", args=[application.pk]) in html
    assert_no_identifiers(html, fam.child)
    assert "irina.petrova@example.org" not in html
    client.force_login(other_staff)
    html = text(client.get(APPLICATIONS))
    assert fam.child.full_name not in html and "Заявок, ждущих решения, нет." in html


def test_list_filters_by_status_and_shows_waitlist_position(client, vorkuta, operator, period):
    group = ready_group(vorkuta, capacity=1)
    staff = staff_of(group.module.program.provider)
    first, second, third = (
        family(vorkuta, operator, last_name=name) for name in ("Абрамова", "Борисова", "Волкова")
    )
    for f in (first, second, third):
        services.apply(actor=f.parent, certificate=f.certificate, group=group)
    client.force_login(staff)
    html = text(client.get(APPLICATIONS, {"status": "waitlisted"}))
    assert "Абрамова" not in html
    assert "Борисова" in html and "Волкова" in html
    assert "1-й в очереди" in html and "2-й в очереди" in html
    assert html.index("Борисова") < html.index("Волкова")  # oldest first
    html = text(client.get(APPLICATIONS, {"group": group.pk, "status": "new"}))
    assert "Абрамова" in html and "Борисова" not in html
    bad = client.get(APPLICATIONS, {"status": "enrolled", "group": "x"})
    assert bad.status_code == 200 and "Абрамова" not in text(bad)


def test_confirm_through_page_and_double_submit_makes_one_contract(client, fam, group, staff):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    client.force_login(staff)
    url = reverse("enrolment:provider_application_confirm", args=[application.pk])
    first = client.post(url, follow=True)
    assert first.status_code == 200
    contract = Contract.objects.get(application=application)
    assert contract.status == Contract.Status.OFFERED
    assert f"предложен договор № {contract.number}" in text(first)
    second = client.post(url, follow=True)
    assert second.status_code == 200
    assert Contract.objects.filter(application=application).count() == 1
    assert f"Заявка уже подтверждена: договор № {contract.number}" in text(second)


def test_reject_without_reason_is_a_field_error_then_rejects(client, fam, group, staff):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    client.force_login(staff)
    url = reverse("enrolment:provider_application_reject", args=[application.pk])
    page = client.post(url, {"reason": "   "})
    assert page.status_code == 200
    assert "Укажите причину отказа." in text(page)
    assert 'id="id_reason_error"' in text(page)
    application.refresh_from_db()
    assert application.status == Application.Status.NEW
    done = client.post(url, {"reason": "Нет медицинской справки"})
    assert done.status_code == 302 and done["Location"] == APPLICATIONS
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    assert application.reason == "Нет медицинской справки"
    assert Group.objects.get(pk=group.pk).seats_taken == 0
    # A second rejection is refused with the service's message, not a 500.
    again = client.post(url, {"reason": "ещё раз"})
    assert again.status_code == 200 and "отклонить её нельзя" in text(again)


def test_other_provider_gets_404_everywhere(client, operator, fam, group, staff, other_staff):
    contract = active_contract(fam, group, staff)
    second = family(fam.certificate.municipality, operator, last_name="Соколова")
    pending = services.apply(actor=second.parent, certificate=second.certificate, group=group)
    client.force_login(other_staff)
    for url, method in [
        (reverse("enrolment:provider_application", args=[pending.pk]), "get"),
        (reverse("enrolment:provider_application_confirm", args=[pending.pk]), "post"),
        (reverse("enrolment:provider_application_reject", args=[pending.pk]), "post"),
        (reverse("enrolment:provider_application_code", args=[pending.pk]), "post"),
        (reverse("enrolment:provider_contract", args=[contract.pk]), "get"),
        (reverse("enrolment:provider_contract", args=[contract.pk]), "post"),
        (reverse("enrolment:roster", args=[group.pk]), "get"),
    ]:
        response = getattr(client, method)(url, {"reason": "x", "confirm": "on", "code": "1"})
        assert response.status_code == 404, url
    register = client.get(CONTRACTS)
    assert register.status_code == 200
    assert register.context["totals"].count == 0 and contract.number not in text(register)
    book = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(EXPORT).streaming_content)))
    assert book.active.max_row == 1  # the header only
    pending.refresh_from_db()
    assert pending.status == Application.Status.NEW
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE


def test_roles_and_anonymous(client, make_user, vorkuta, operator, staff):
    assert client.get(APPLICATIONS).status_code == 302
    assert client.get(OPERATOR_CONTRACTS).status_code == 302
    client.force_login(make_user("parent", municipality=vorkuta))
    for url in (APPLICATIONS, ENROL, CONTRACTS, EXPORT, OPERATOR_CONTRACTS):
        assert client.get(url).status_code == 403, url
    client.force_login(operator)
    assert client.get(APPLICATIONS).status_code == 403
    client.force_login(staff)
    assert client.get(OPERATOR_CONTRACTS).status_code == 403


# ------------------------------------------------------------------------- in person


def test_in_person_enrolment_end_to_end_with_code(client, fam, group, staff, period):
    client.force_login(staff)
    assert client.get(ENROL).status_code == 200
    number = fam.certificate.number
    spaced = f"{number[:2]} {number[2:4]} {number[4:]}"
    surname = fam.child.last_name
    preview = client.post(
        ENROL, {"certificate_number": spaced, "surname": surname, "group": group.pk}
    )
    assert preview.status_code == 200
    html = text(preview)
    assert fam.child.full_name in html and "10 лет" in html
    assert "Условия договора" in html and "Доплата семьи" in html
    assert "28.11.2026" in html and "31.05.2027" in html
    assert 'value="enrol"' in html
    assert_no_identifiers(html, fam.child)
    assert not Application.objects.exists()  # the preview files nothing

    # «Записать» without having shown these terms only shows them.
    unseen = {
        "certificate_number": spaced,
        "surname": surname,
        "group": group.pk,
        "action": "enrol",
    }
    assert "проверьте условия ещё раз" in text(client.post(ENROL, unseen, follow=True))
    assert not Application.objects.exists()
    filed = client.post(ENROL, {**unseen, "previewed": f"{number}:{group.pk}:{surname}"})
    application = Application.objects.get()
    assert filed.status_code == 302
    assert filed["Location"] == reverse("enrolment:provider_application", args=[application.pk])
    assert application.status == Application.Status.AWAITING_PARENT
    page = client.get(filed["Location"])
    assert "Ввести код из уведомления родителя" in text(page)
    assert "Условия договора" in text(page)

    code = fam.parent.notifications.order_by("-pk").first().body.split("код ")[1][:6]
    code_url = reverse("enrolment:provider_application_code", args=[application.pk])
    wrong = client.post(code_url, {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 200 and "Неверный код." in text(wrong)
    short = client.post(code_url, {"code": "12"})
    assert "Код — 6 цифр." in text(short)
    done = client.post(code_url, {"code": code})
    contract = Contract.objects.get(application=application)
    assert done.status_code == 302
    assert done["Location"] == reverse("enrolment:provider_contract", args=[contract.pk])
    assert contract.status == Contract.Status.ACTIVE
    money = certificate_selectors.balance(fam.certificate, period)
    assert money.reserved_kopecks == contract.certificate_kopecks > 0
    # Enrolling the same child again is refused with its message.
    again = client.post(
        ENROL, {"certificate_number": number, "surname": surname, "group": group.pk}
    )
    assert "Ребёнок уже записан или ждёт места в этой группе." in text(again)


def test_in_person_refusals_show_their_messages(client, vorkuta, fam, group, staff, operator):
    client.force_login(staff)
    surname = fam.child.last_name
    missing = client.post(
        ENROL, {"certificate_number": "1102999999", "surname": surname, "group": group.pk}
    )
    assert missing.status_code == 200
    assert "Сертификат не найден: проверьте номер и фамилию ребёнка." in text(missing)
    short = client.post(ENROL, {"certificate_number": "123", "surname": surname, "group": group.pk})
    assert "Номер сертификата — 10 цифр." in text(short)
    foreign = ready_group(vorkuta)
    closed = client.post(
        ENROL,
        {"certificate_number": fam.certificate.number, "surname": surname, "group": foreign.pk},
    )
    assert "Эта группа сейчас не принимает записи." in text(closed)
    certificate_services.suspend_certificate(
        actor=operator, certificate=fam.certificate, reason="Проверка"
    )
    data = {"certificate_number": fam.certificate.number, "surname": surname, "group": group.pk}
    preview = client.post(ENROL, data)
    assert "Записать нельзя" in text(preview) and "записаться по нему нельзя" in text(preview)
    assert 'value="enrol"' not in text(preview)
    shown = f"{fam.certificate.number}:{group.pk}:{surname}"
    forced = client.post(ENROL, {**data, "action": "enrol", "previewed": shown})
    assert forced.status_code == 200 and "записаться по нему нельзя" in text(forced)
    assert not Application.objects.exists()


def test_in_person_full_group_goes_to_waitlist(client, vorkuta, operator, period):
    group = ready_group(vorkuta, capacity=1)
    staff = staff_of(group.module.program.provider)
    first, second = family(vorkuta, operator), family(vorkuta, operator)
    services.apply(actor=first.parent, certificate=first.certificate, group=group)
    client.force_login(staff)
    surname = second.child.last_name
    data = {
        "certificate_number": second.certificate.number,
        "surname": surname,
        "group": group.pk,
    }
    assert "лист ожидания" in text(client.post(ENROL, data))
    shown = f"{second.certificate.number}:{group.pk}:{surname}"
    page = client.post(ENROL, {**data, "action": "enrol", "previewed": shown}, follow=True)
    assert "лист ожидания (1-я)" in text(page)
    assert Application.objects.get(child=second.child).status == Application.Status.WAITLISTED


# ----------------------------------------------------------------------- the register


@pytest.fixture
def register(vorkuta, operator, period):
    """Three contracts of one provider: two in group A (active, offered), one in group B."""
    a = ready_group(vorkuta, price=1_800_000)
    provider = a.module.program.provider
    b = ready_group(vorkuta, provider=provider, price=900_000, weekday=4)
    staff = staff_of(provider)
    smirnova = family(vorkuta, operator, last_name="Смирнова")
    kuznetsova = family(vorkuta, operator, last_name="Кузнецова")
    popova = family(vorkuta, operator, last_name="Попова")
    active_a = active_contract(smirnova, a, staff)
    offered_a = services.confirm(
        actor=staff,
        application=services.apply(
            actor=kuznetsova.parent, certificate=kuznetsova.certificate, group=a
        ),
    )
    active_b = active_contract(popova, b, staff)
    return {
        "staff": staff,
        "a": a,
        "b": b,
        "contracts": [active_a, offered_a, active_b],
        "families": [smirnova, kuznetsova, popova],
    }


def numbers(response) -> set[str]:
    return {c.number for c in response.context["contracts"]}


def test_register_filters_and_totals(client, register):
    active_a, offered_a, active_b = register["contracts"]
    client.force_login(register["staff"])
    everything = client.get(CONTRACTS)
    assert everything.status_code == 200
    totals = everything.context["totals"]
    assert totals.count == 3
    assert totals.price_kopecks == sum(c.price_kopecks for c in register["contracts"])
    assert totals.certificate_kopecks == sum(c.certificate_kopecks for c in register["contracts"])
    assert totals.copay_kopecks == sum(c.copay_kopecks for c in register["contracts"])
    assert "10 лет" in text(everything)
    for child in (f.child for f in register["families"]):
        assert_no_identifiers(text(everything), child)

    active = client.get(CONTRACTS, {"status": "active"})
    assert numbers(active) == {active_a.number, active_b.number}
    assert active.context["totals"].price_kopecks == active_a.price_kopecks + active_b.price_kopecks
    group_b = client.get(CONTRACTS, {"group": register["b"].pk})
    assert numbers(group_b) == {active_b.number}
    program_a = client.get(CONTRACTS, {"program": register["a"].module.program_id})
    assert numbers(program_a) == {active_a.number, offered_a.number}
    surname = client.get(CONTRACTS, {"surname": "кузн"})
    assert numbers(surname) == {offered_a.number}
    assert surname.context["totals"].count == 1
    assert numbers(client.get(CONTRACTS, {"period": active_a.period_id})) == numbers(everything)
    in_force = client.get(CONTRACTS, {"date_from": "2027-06-01"})
    assert numbers(in_force) == set() and in_force.context["totals"].price_kopecks == 0
    assert numbers(client.get(CONTRACTS, {"date_from": "2026-12-01", "date_to": "2026-12-31"})) == (
        numbers(everything)
    )
    bad = client.get(CONTRACTS, {"date_from": "2027-01-01", "date_to": "2026-01-01"})
    assert bad.status_code == 200 and "Конец диапазона раньше начала." in text(bad)
    assert numbers(bad) == set()
    nonsense = client.get(CONTRACTS, {"program": "\x00", "period": "abc", "page": "9"})
    assert nonsense.status_code == 404


def test_register_paginates(client, register, monkeypatch):
    from pfdo.enrolment.views import provider as views

    monkeypatch.setattr(views.ContractListView, "paginate_by", 2)
    client.force_login(register["staff"])
    first = client.get(CONTRACTS, {"status": ""})
    assert len(first.context["contracts"]) == 2 and first.context["totals"].count == 3
    second = client.get(CONTRACTS, {"status": "", "page": 2})
    assert len(second.context["contracts"]) == 1
    assert "page=2" in text(first)


def _cells(book) -> list:
    return [cell for row in book.active.iter_rows() for cell in row]


def test_xlsx_export_has_filtered_rows_and_no_identifiers(client, register):
    active_a, _, active_b = register["contracts"]
    services.terminate(
        actor=register["staff"], contract=active_b, reason='=HYPERLINK("http://x","x")'
    )
    client.force_login(register["staff"])
    response = client.get(EXPORT, {"status": "active"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(raw))
    rows = list(book.active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:4] == ("Номер договора", "Статус", "Ребёнок", "Возраст, лет")
    assert "Цена, руб." in header and "Поставщик" not in header
    assert [r[0] for r in body] == [active_a.number]
    row = dict(zip(header, body[0], strict=True))
    assert row["Ребёнок"] == register["families"][0].child.full_name
    assert row["Возраст, лет"] == 10
    assert row["Цена, руб."] == pytest.approx(active_a.price_kopecks / 100)
    assert row["Оплачивается сертификатом, руб."] == pytest.approx(
        active_a.certificate_kopecks / 100
    )
    assert row["Начало"] == dt.datetime(2026, 11, 28)

    everything = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(EXPORT).streaming_content)))
    cells = _cells(everything)
    assert everything.active.max_row == 4
    values = [c.value for c in cells if c.value is not None]
    for child in (f.child for f in register["families"]):
        for secret in identifiers(child):
            assert all(secret not in str(v) for v in values), secret
        assert all(
            v != child.birth_date and v != dt.datetime.combine(child.birth_date, dt.time())
            for v in values
        )
    # A reason that looks like a formula is quoted text.
    formula_like = [c for c in cells if "=HYPERLINK" in str(c.value)]
    assert formula_like and all(
        c.data_type == "s" and c.value.startswith("'=") for c in formula_like
    )


def test_xlsx_export_quotes_programme_and_group_names_that_look_like_formulas(client, register):
    """Programme, module and group names are free text of the provider: in the accountant's
    file they are quoted text, whatever they start with."""
    group = register["a"]
    module, program = group.module, group.module.program
    Program.objects.filter(pk=program.pk).update(name="=cmd|' /C calc'!A0")
    Module.objects.filter(pk=module.pk).update(name="+1+1")
    Group.objects.filter(pk=group.pk).update(name="@SUM(1)")
    client.force_login(register["staff"])
    book = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(EXPORT).streaming_content)))
    texts = [c.value for c in _cells(book) if isinstance(c.value, str)]
    assert "'=cmd|' /C calc'!A0" in texts and "'+1+1" in texts and "'@SUM(1)" in texts
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert all(c.data_type != "f" for c in _cells(book))


def test_roster_shows_name_age_and_waitlist_only(client, vorkuta, operator, period):
    group = ready_group(vorkuta, capacity=2)
    staff = staff_of(group.module.program.provider)
    enrolled, offered, waiting = (
        family(vorkuta, operator, last_name=name, birth_date=BIRTH)
        for name in ("Орлова", "Павлова", "Рыбакова")
    )
    active_contract(enrolled, group, staff)
    services.confirm(
        actor=staff,
        application=services.apply(
            actor=offered.parent, certificate=offered.certificate, group=group
        ),
    )
    services.apply(actor=waiting.parent, certificate=waiting.certificate, group=group)
    client.force_login(staff)
    page = client.get(reverse("enrolment:roster", args=[group.pk]))
    assert page.status_code == 200
    html = text(page)
    assert "Мест: 2, занято: 2, свободно: 0." in html
    assert "Орлова" in html and "Павлова" in html and "10 лет" in html
    assert "договор предложен" in html
    waitlist = html[html.index('data-testid="waitlist"') :]
    assert "Рыбакова" in waitlist
    for f in (enrolled, offered, waiting):
        assert_no_identifiers(html, f.child)


# ----------------------------------------------------------------- expel and terminate


def test_expulsion_needs_reason_and_confirmation_and_returns_money(
    client, fam, group, staff, period
):
    contract = active_contract(fam, group, staff)
    before = certificate_selectors.balance(fam.certificate, period)
    url = reverse("enrolment:provider_contract", args=[contract.pk])
    client.force_login(staff)
    page = client.get(url)
    assert page.status_code == 200 and "Отчислить ребёнка" in text(page)
    assert_no_identifiers(text(page), fam.child)
    no_reason = client.post(url, {"reason": "", "confirm": "on"})
    assert no_reason.status_code == 200 and "Укажите причину расторжения." in text(no_reason)
    unconfirmed = client.post(url, {"reason": "Не посещает занятия"})
    assert "Подтвердите расторжение договора." in text(unconfirmed)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE
    with clock.frozen(dt.date(2027, 2, 10)):
        done = client.post(url, {"reason": "Не посещает занятия", "confirm": "on"}, follow=True)
    assert done.status_code == 200 and "расторгнут" in text(done)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert contract.terminated_by == Contract.TerminatedBy.PROVIDER
    assert contract.termination_reason == "Не посещает занятия"
    after = certificate_selectors.balance(fam.certificate, period)
    returned = sum(m.certificate_kopecks for m in contract.months.filter(month__gt="2027-02-01"))
    assert returned > 0
    assert after.available_kopecks == before.available_kopecks + returned
    assert after.reserved_kopecks == before.reserved_kopecks - returned
    assert text(done).count("возвращено на сертификат") == len(
        [m for m in contract.months.all() if m.month > dt.date(2027, 2, 1)]
    )
    assert Group.objects.get(pk=group.pk).seats_taken == 0
    assert verify_ledger() == []
    again = client.post(url, {"reason": "ещё", "confirm": "on"})
    assert again.status_code == 200 and "Расторгнуть договор" not in text(again)


@pytest.fixture
def inta(region):
    return MunicipalityFactory(region=region, code="inta", name="Инта", number=3)


def test_operator_register_terminate_and_other_municipality_404(
    client, make_user, region, inta, fam, group, staff, operator, period
):
    contract = active_contract(fam, group, staff)
    stranger = make_user("operator", municipality=inta)
    client.force_login(stranger)
    assert client.get(reverse("enrolment:operator_contract", args=[contract.pk])).status_code == 404
    post = client.post(
        reverse("enrolment:operator_contract", args=[contract.pk]),
        {"reason": "x", "confirm": "on"},
    )
    assert post.status_code == 404
    register = client.get(OPERATOR_CONTRACTS)
    assert register.status_code == 200 and register.context["totals"].count == 0

    admin = make_user("regional_admin", region=region)
    client.force_login(admin)
    assert numbers(client.get(OPERATOR_CONTRACTS)) == {contract.number}

    client.force_login(operator)
    listing = client.get(OPERATOR_CONTRACTS, {"program": group.module.program_id})
    assert numbers(listing) == {contract.number}
    assert group.name in text(listing)  # the programme's groups become choosable
    assert contract.provider.short_name in text(listing)
    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(client.get(OPERATOR_EXPORT).streaming_content))
    )
    rows = list(book.active.iter_rows(values_only=True))
    assert "Поставщик" in rows[0] and [r[0] for r in rows[1:]] == [contract.number]

    url = reverse("enrolment:operator_contract", args=[contract.pk])
    assert "Расторгнуть договор" in text(client.get(url))
    missing = client.post(url, {"reason": "", "confirm": "on"})
    assert "Укажите причину расторжения." in text(missing)
    done = client.post(url, {"reason": "Поставщик исключён из реестра", "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == url
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED
    assert contract.terminated_by == Contract.TerminatedBy.OPERATOR
    money = certificate_selectors.balance(fam.certificate, period)
    assert money.available_kopecks > 0 and verify_ledger() == []


def test_odd_input_never_fails(client, register, operator):
    huge = "9" * 25
    client.force_login(register["staff"])
    for url in (f"{APPLICATIONS}{huge}/", f"/cabinet/provider/groups/{huge}/roster/"):
        assert client.get(url).status_code == 404
    for params in (
        {"group": huge, "program": huge, "period": huge, "surname": "a\x00b"},
        {"date_from": "2026-13-45", "status": "nonsense"},
    ):
        assert client.get(CONTRACTS, params).status_code == 200
        assert client.get(APPLICATIONS, params).status_code == 200
        assert client.get(EXPORT, params).status_code == 302  # back to the register
    odd = {"certificate_number": "\x00", "surname": "a\x00b", "group": huge}
    assert client.post(ENROL, odd).status_code == 200
    client.force_login(operator)
    assert client.get(OPERATOR_CONTRACTS, {"program": huge, "group": huge}).status_code == 200
    assert client.get(f"{OPERATOR_CONTRACTS}{huge}/").status_code == 404


def test_rules_on_objects(make_user, inta, fam, group, staff, other_staff, operator):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    contract = services.confirm(actor=staff, application=application)
    stranger = make_user("operator", municipality=inta)
    assert staff.has_perm("enrolment.view") and make_user().has_perm("enrolment.view")
    assert staff.has_perm("enrolment.decide", application)
    assert not other_staff.has_perm("enrolment.decide", application)
    assert not fam.parent.has_perm("enrolment.decide", application)
    assert other_staff.has_perm("enrolment.decide")  # no object: the role decides
    assert staff.has_perm("enrolment.enrol_in_person", group)
    assert not other_staff.has_perm("enrolment.enrol_in_person", group)
    assert not operator.has_perm("enrolment.enrol_in_person")
    for user, allowed in [
        (fam.parent, True),
        (staff, True),
        (operator, True),
        (other_staff, False),
        (stranger, False),
    ]:
        assert user.has_perm("enrolment.terminate", contract) is allowed, user
    assert fam.parent.has_perm("enrolment.accept", contract)
    assert not staff.has_perm("enrolment.accept", contract)
    assert staff.has_perm("enrolment.view_roster", group)
    assert not other_staff.has_perm("enrolment.view_roster", group)
    assert operator.has_perm("enrolment.list_official") and not staff.has_perm(
        "enrolment.list_official"
    )
