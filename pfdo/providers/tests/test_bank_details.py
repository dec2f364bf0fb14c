"""Bank details change only through a request the operator approves (issue 13, item 5).

The direct edit of the card (API and page) no longer moves the money; the request's life
through the API and the pages; who may act; the history with the old and the new details,
the actor and the address; who is told.
"""

from __future__ import annotations

import pytest
from django.core import mail

from pfdo.accounts.models import Notification
from pfdo.audit.models import ActionLog
from pfdo.providers import services
from pfdo.providers.models import BANK_FIELDS, BankDetailsChange, Provider
from pfdo.providers.tests.factories import KOMI_BANK, OTHER_BANK, ProviderFactory, add_staff

PROVIDERS = "/api/v1/providers/"
CHANGES = "/api/v1/bank-details-changes/"
ORGANISATION = "/cabinet/provider/organisation/"
BANK_PAGE = ORGANISATION + "bank-details/"
QUEUE = "/cabinet/providers/bank-details/"
IP = "10.20.30.40"
Status = BankDetailsChange.Status


@pytest.fixture
def provider(vorkuta):
    """An active provider paid to its Komi account (overrides the conftest's)."""
    return ProviderFactory(municipality=vorkuta, **KOMI_BANK)


@pytest.fixture
def inta_admin(inta):
    """The admin of a provider of another municipality."""
    return add_staff(ProviderFactory(municipality=inta, **KOMI_BANK), is_admin=True).user


@pytest.fixture
def api(api_client):
    api_client.default_format = "json"

    def as_user(user):
        api_client.force_authenticate(user)
        return api_client

    return as_user


@pytest.fixture
def change(provider, admin):
    return services.request_bank_change(actor=admin, provider=provider, details=OTHER_BANK)


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code, error
    return error


def details_of(provider: Provider) -> dict:
    provider.refresh_from_db()
    return provider.bank_details


def log_of(action: str) -> ActionLog:
    [row] = ActionLog.objects.filter(action=action)
    return row


def notices(user, contains: str) -> list[Notification]:
    return list(Notification.objects.filter(user=user, subject__icontains=contains))


# ---------------------------------------------------------------- the direct edit


def test_patch_of_the_settlement_account_is_refused_and_moves_nothing(api, provider, admin):
    response = api(admin).patch(f"{PROVIDERS}{provider.pk}/", OTHER_BANK)
    error = assert_error(response, 409, "bank_details_locked")
    assert set(error["fields"]) == set(BANK_FIELDS)
    assert "/api/v1/bank-details-changes/" in error["fields"]["settlement_account"][0]
    assert details_of(provider) == KOMI_BANK
    assert provider.status == Provider.Status.ACTIVE
    assert not ActionLog.objects.filter(action="providers.profile_updated").exists()
    # The rest of the card is still the admin's; unchanged bank details sent along pass.
    response = api(admin).patch(
        f"{PROVIDERS}{provider.pk}/", {"phone": "+7 82151 77777", **KOMI_BANK}
    )
    assert response.status_code == 200, response.content
    provider.refresh_from_db()
    assert provider.phone == "+7 82151 77777" and provider.bank_details == KOMI_BANK


def test_the_edit_page_no_longer_changes_the_account(client, provider, admin):
    client.force_login(admin)
    page = client.get(ORGANISATION + "edit/")
    form = page.context["form"]
    assert not set(BANK_FIELDS) & set(form.fields)
    assert 'data-testid="bank-locked"' in page.content.decode()
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(phone="+7 82151 99999", licence_exempt="", **OTHER_BANK)  # posted anyway
    assert client.post(ORGANISATION + "edit/", data).status_code == 302
    assert details_of(provider) == KOMI_BANK
    assert provider.phone == "+7 82151 99999"


def test_before_inclusion_the_card_keeps_them_with_old_and_new_in_the_history(api, pending):
    admin = add_staff(pending).user
    response = api(admin).patch(f"{PROVIDERS}{pending.pk}/", OTHER_BANK, REMOTE_ADDR=IP)
    assert response.status_code == 200, response.content
    assert details_of(pending) == OTHER_BANK
    log = log_of("providers.profile_updated")
    assert log.actor == admin and log.ip == IP
    assert log.details["bank"]["old"]["settlement_account"] == ""
    assert log.details["bank"]["new"] == OTHER_BANK
    # …and no request is needed (nor accepted) before inclusion.
    response = api(admin).post(CHANGES, {"provider": pending.pk, **KOMI_BANK})
    assert_error(response, 409, "bank_details_editable")


# ---------------------------------------------------------------- the request, through the API


def test_request_then_approval_changes_the_details_and_tells_the_payer(
    api, provider, admin, operator, payer, django_capture_on_commit_callbacks
):
    body = {"provider": provider.pk, **OTHER_BANK, "comment": "Открыли счёт в другом банке"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api(admin).post(CHANGES, body, REMOTE_ADDR=IP)
    assert response.status_code == 201, response.content
    filed = response.json()
    assert filed["status"] == "pending"
    assert filed["requested"] == OTHER_BANK and filed["previous"] == KOMI_BANK
    assert details_of(provider) == KOMI_BANK  # nothing moves until the operator approves
    requested = log_of("providers.bank_change_requested")
    assert requested.actor == admin and requested.ip == IP
    assert requested.details["old"] == KOMI_BANK and requested.details["new"] == OTHER_BANK
    assert notices(operator, provider.short_name)  # the operator's queue is told

    queue = api(operator).get(CHANGES, {"status": "pending"}).json()["results"]
    assert [row["id"] for row in queue] == [filed["id"]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(operator).post(f"{CHANGES}{filed['id']}/approve/", REMOTE_ADDR=IP)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert details_of(provider) == OTHER_BANK
    approved = log_of("providers.bank_change_approved")
    assert approved.actor == operator and approved.ip == IP
    assert approved.details["old"] == KOMI_BANK and approved.details["new"] == OTHER_BANK
    [told] = notices(payer, provider.short_name)
    assert OTHER_BANK["settlement_account"][-4:] in told.body
    assert OTHER_BANK["settlement_account"] not in told.body  # masked in a forwardable mail
    assert [m.to for m in mail.outbox if m.subject == told.subject] == [
        [payer.email],
        [admin.email],
    ]
    assert notices(admin, provider.short_name)

    again = api(operator).post(f"{CHANGES}{filed['id']}/approve/")
    assert_error(again, 409, "bank_change_decided")


def test_rejection_needs_a_reason_changes_nothing_and_tells_the_provider(
    api, provider, admin, operator, change
):
    url = f"{CHANGES}{change.pk}/reject/"
    error = assert_error(api(operator).post(url, {"reason": " "}), 400, "validation_error")
    assert "reason" in error["fields"]
    response = api(operator).post(url, {"reason": "Счёт не подтверждён письмом"}, REMOTE_ADDR=IP)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"
    assert details_of(provider) == KOMI_BANK
    rejected = log_of("providers.bank_change_rejected")
    assert rejected.actor == operator and rejected.ip == IP
    assert rejected.details["reason"] == "Счёт не подтверждён письмом"
    assert rejected.details["old"] == KOMI_BANK and rejected.details["new"] == OTHER_BANK
    [told] = notices(admin, "отклонена")
    assert "Счёт не подтверждён письмом" in told.body


def test_one_pending_request_per_provider_until_withdrawn(api, provider, admin):
    body = {"provider": provider.pk, **OTHER_BANK}
    first = api(admin).post(CHANGES, body)
    assert first.status_code == 201, first.content
    assert_error(api(admin).post(CHANGES, body), 409, "bank_change_pending")
    withdrawn = api(admin).post(f"{CHANGES}{first.json()['id']}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert log_of("providers.bank_change_withdrawn").actor == admin
    assert api(admin).post(CHANGES, body).status_code == 201
    assert details_of(provider) == KOMI_BANK


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"settlement_account": OTHER_BANK["settlement_account"][:-1] + "0"}, "settlement_account"),
        ({"correspondent_account": "30101810400000000226"}, "correspondent_account"),
        ({"bik": "04452522"}, "bik"),
        ({"bank_name": ""}, "bank_name"),
    ],
)
def test_request_is_checked_field_by_field(api, provider, admin, changes, field):
    body = {"provider": provider.pk, **OTHER_BANK, **changes}
    error = assert_error(api(admin).post(CHANGES, body), 400, "validation_error")
    assert field in error["fields"]
    assert not BankDetailsChange.objects.exists()


def test_the_same_details_as_now_are_a_conflict(api, provider, admin, client):
    body = {"provider": provider.pk, **KOMI_BANK}
    error = assert_error(api(admin).post(CHANGES, body), 409, "bank_details_unchanged")
    assert error["fields"] == {"settlement_account": ["Совпадает с действующими реквизитами."]}
    # The page shows it on the form, as any refusal.
    client.force_login(admin)
    response = client.post(BANK_PAGE, KOMI_BANK)
    assert response.status_code == 200
    assert response.context["form"].errors["settlement_account"] == [
        "Совпадает с действующими реквизитами."
    ]
    assert not BankDetailsChange.objects.exists()


# ---------------------------------------------------------------- who may act (API)


APPROVE, REJECT, WITHDRAW = "approve/", "reject/", "withdraw/"


@pytest.mark.parametrize(
    ("who", "step", "status"),
    [
        # Only the operator of the provider's municipality decides.
        ("admin", APPROVE, 403),
        ("member", APPROVE, 403),
        ("stranger_admin", APPROVE, 403),
        ("inta_admin", APPROVE, 403),
        ("parent", APPROVE, 403),
        ("payer", APPROVE, 403),
        ("regional_admin", APPROVE, 403),
        ("other_operator", APPROVE, 404),
        ("payer", REJECT, 403),
        ("other_operator", REJECT, 404),
        ("stranger_admin", REJECT, 403),
        # Only the provider's own admin withdraws.
        ("operator", WITHDRAW, 403),
        ("member", WITHDRAW, 403),
        ("stranger_admin", WITHDRAW, 404),
        ("inta_admin", WITHDRAW, 404),
        ("parent", WITHDRAW, 403),
        # Seeing it: the provider's admin, the municipality's officials and payer.
        ("stranger_admin", "", 404),
        ("other_operator", "", 404),
        ("parent", "", 403),
        ("member", "", 403),
        ("payer", "", 200),
        ("regional_admin", "", 200),
        ("admin", "", 200),
    ],
)
def test_who_may_act_on_a_request(api, request, change, who, step, status):
    client = api(request.getfixturevalue(who))
    url = f"{CHANGES}{change.pk}/{step}"
    response = client.post(url, {"reason": "Нет"}) if step else client.get(url)
    assert response.status_code == status, response.content
    change.refresh_from_db()
    assert change.status == Status.PENDING
    assert details_of(change.provider) == KOMI_BANK


@pytest.mark.parametrize(
    "who", ["member", "stranger_admin", "inta_admin", "parent", "operator", "payer"]
)
def test_only_the_providers_admin_files_a_request(api, request, provider, who):
    response = api(request.getfixturevalue(who)).post(
        CHANGES, {"provider": provider.pk, **OTHER_BANK}
    )
    assert response.status_code == 403, response.content
    assert not BankDetailsChange.objects.exists()


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("admin", True),
        ("member", False),
        ("stranger_admin", False),
        ("inta_admin", False),
        ("operator", True),
        ("payer", True),
        ("regional_admin", True),
        ("other_operator", False),
        ("parent", False),
    ],
)
def test_requests_are_listed_for_their_people_only(request, change, who, sees):
    user = request.getfixturevalue(who)
    assert BankDetailsChange.objects.for_user(user).filter(pk=change.pk).exists() is sees


# ---------------------------------------------------------------- the pages


def test_admin_requests_on_the_page_and_the_operator_approves_from_the_queue(
    client, provider, admin, operator, payer
):
    client.force_login(admin)
    assert 'data-testid="bank-change-link"' in client.get(ORGANISATION).content.decode()
    assert client.get(BANK_PAGE).context["form"] is not None
    data = {**OTHER_BANK, "comment": "Новый банк"}
    response = client.post(BANK_PAGE, data, REMOTE_ADDR=IP)
    assert response.status_code == 302
    change = BankDetailsChange.objects.get()
    assert change.status == Status.PENDING and change.filed_by == admin
    assert details_of(provider) == KOMI_BANK
    page = client.get(BANK_PAGE)
    assert page.context["form"] is None and 'data-testid="pending-change"' in page.content.decode()
    assert log_of("providers.bank_change_requested").ip == IP

    client.force_login(operator)
    queue = client.get(QUEUE)
    assert queue.status_code == 200
    assert f'href="{QUEUE}"' in queue.content.decode()  # in the operator's navigation
    assert list(queue.context["changes"]) == [change]
    detail = client.get(f"{QUEUE}{change.pk}/").content.decode()
    assert KOMI_BANK["settlement_account"] in detail and OTHER_BANK["settlement_account"] in detail
    assert 'data-testid="approve"' in detail

    client.force_login(payer)  # sees what changes where it pays, cannot decide
    detail = client.get(f"{QUEUE}{change.pk}/")
    assert detail.status_code == 200 and 'data-testid="approve"' not in detail.content.decode()
    assert client.post(f"{QUEUE}{change.pk}/approve/").status_code == 403
    assert details_of(provider) == KOMI_BANK

    client.force_login(operator)
    response = client.post(f"{QUEUE}{change.pk}/approve/", REMOTE_ADDR=IP)
    assert response.status_code == 302
    assert details_of(provider) == OTHER_BANK
    assert log_of("providers.bank_change_approved").actor == operator
    assert notices(payer, provider.short_name)
    assert list(client.get(QUEUE).context["changes"]) == []  # the queue is empty again
    assert list(client.get(QUEUE, {"status": ""}).context["changes"]) == [change]


def test_operator_rejects_on_the_page_with_a_reason(client, provider, admin, operator, change):
    client.force_login(operator)
    url = f"{QUEUE}{change.pk}/reject/"
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert response.context["reject_form"].errors["reason"]
    assert client.post(url, {"reason": "Нет письма банка"}).status_code == 302
    change.refresh_from_db()
    assert change.status == Status.REJECTED and details_of(provider) == KOMI_BANK
    client.force_login(admin)
    page = client.get(BANK_PAGE).content.decode()
    assert "Нет письма банка" in page
    assert client.get(BANK_PAGE).context["form"] is not None  # may file a corrected one


def test_a_request_decided_meanwhile_says_so_on_the_page(client, operator, change):
    services.approve_bank_change(actor=operator, change=change)
    client.force_login(operator)
    response = client.post(f"{QUEUE}{change.pk}/reject/", {"reason": "Поздно"}, follow=True)
    assert "Заявка уже подтверждена" in response.content.decode()
    assert 'data-testid="reject"' not in response.content.decode()
    change.refresh_from_db()
    assert change.status == Status.APPROVED


def test_request_page_shows_field_messages(client, provider, admin):
    client.force_login(admin)
    bad = {**OTHER_BANK, "settlement_account": OTHER_BANK["settlement_account"][:-1] + "0"}
    response = client.post(BANK_PAGE, bad)
    assert response.status_code == 200
    assert "не сходится" in " ".join(response.context["form"].errors["settlement_account"])
    assert not BankDetailsChange.objects.exists()


@pytest.mark.parametrize(
    ("who", "url", "method", "status"),
    [
        ("parent", QUEUE, "get", 403),
        ("admin", QUEUE, "get", 403),
        ("other_operator", "detail", "get", 404),
        ("stranger_admin", "detail", "get", 403),
        ("other_operator", "approve", "post", 404),
        ("regional_admin", "approve", "post", 403),
        ("member", BANK_PAGE, "get", 403),
        ("operator", BANK_PAGE, "get", 403),
        ("stranger_admin", "withdraw", "post", 404),
    ],
)
def test_pages_refuse_the_wrong_people(client, request, change, who, url, method, status):
    urls = {
        "detail": f"{QUEUE}{change.pk}/",
        "approve": f"{QUEUE}{change.pk}/approve/",
        "withdraw": f"{BANK_PAGE}{change.pk}/withdraw/",
    }
    client.force_login(request.getfixturevalue(who))
    response = getattr(client, method)(urls.get(url, url))
    assert response.status_code == status
    change.refresh_from_db()
    assert change.status == Status.PENDING
    assert details_of(change.provider) == KOMI_BANK
