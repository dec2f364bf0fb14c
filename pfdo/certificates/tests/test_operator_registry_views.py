"""Operator's certificate pages, the registry side: registry and search, access for others,
the certificate card and its actions."""

# ruff: noqa: F811  (fixtures are imported from the support module and requested by name)

from __future__ import annotations

import pytest
from django.urls import reverse

from pfdo.audit.models import PersonalDataAccess
from pfdo.certificates import selectors, services
from pfdo.certificates.models import Certificate
from pfdo.certificates.tests.factories import (
    issue_certificate,
    nth_name,
    valid_snils,
)
from pfdo.certificates.tests.operator_pages_support import (  # noqa: F401  (fixtures by name)
    LOOKUP,
    NOMINAL,
    QUEUE,
    REGISTER,
    REGISTRY,
    _today,
    application,
    certificate,
    errors_of,
    inta,
    issued,
    login,
    messages_of,
    parent,
    period,
    settled,
    stranger,
    text_of,
)

pytestmark = pytest.mark.django_db


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
            operator=operator, municipality=vorkuta, parent=parent, first_name=nth_name(n)
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
        client.get(REGISTRY, {"q": nth_name(7)})


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
    assert messages_of(after) == [
        "Сертификат аннулирован: его договоры расторгнуты сегодняшним днём, заявки закрыты, "
        "неиспользованный остаток и резерв неоплаченных месяцев возвращены в бюджет."
    ]
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
