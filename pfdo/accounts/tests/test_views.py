"""Pages of accounts: login, lockout, forced password change, reset, role homes, user cards."""

import re
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.urls import reverse

from pfdo.accounts import services
from pfdo.accounts.forms import INVALID_LOGIN
from pfdo.accounts.tests.factories import PASSWORD
from pfdo.audit.models import ActionLog, PersonalDataAccess

LOGIN = "/login/"


def post_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_page_is_russian(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Вход" in text and "Логин" in text and "Пароль" in text
    assert 'lang="ru"' in text


def test_wrong_password_and_unknown_login_get_the_same_message(client, make_user):
    make_user(username="maria")
    wrong = post_login(client, "maria", "wrong-password")
    unknown = post_login(client, "nobody-here", "wrong-password")
    assert wrong.status_code == unknown.status_code == 200
    assert INVALID_LOGIN in wrong.content.decode()
    assert INVALID_LOGIN in unknown.content.decode()
    assert ActionLog.objects.filter(action="accounts.login_failed").count() == 2


def test_login_lands_on_the_role_home_and_is_audited(client, make_user, vorkuta):
    user = make_user("parent", municipality=vorkuta)
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 302
    home = client.get(response.url, follow=True)
    assert home.redirect_chain[-1][0] == reverse("accounts:home_parent")
    assert "Личный кабинет родителя" in home.content.decode()
    assert ActionLog.objects.filter(action="accounts.login", actor=user).exists()


def test_lockout_after_repeated_failures(client, make_user, settings):
    user = make_user(username="locked")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_login(client, "locked", "bad").status_code == 200
    locked = post_login(client, "locked", "bad")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "временно заблокирован" in text
    assert re.search(r"Повторите после \d\d:\d\d", text)
    # Even the right password is refused while locked.
    again = post_login(client, "locked", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    assert ActionLog.objects.filter(action="accounts.locked_out").exists()
    assert user.last_login is None


def test_issued_password_forces_a_change_first(client, vorkuta, db):
    user, issued = services.create_user(actor=None, username="newparent", password=None)
    services.grant_role(actor=None, user=user, role="parent", municipality=vorkuta)
    post_login(client, "newparent", issued)
    response = client.get(reverse("accounts:home_parent"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:password_change"))
    api = client.get("/api/v1/audit/actions/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "password_change_required"
    bad = client.post(
        reverse("accounts:password_change"),
        {"old_password": issued, "new_password": "123", "new_password2": "123"},
    )
    assert bad.status_code == 200
    assert "errorlist" in bad.content.decode()
    ok = client.post(
        reverse("accounts:password_change") + "?next=/cabinet/parent/",
        {
            "old_password": issued,
            "new_password": "Tundra-Reindeer-9",
            "new_password2": "Tundra-Reindeer-9",
        },
    )
    assert ok.status_code == 302 and ok.url == "/cabinet/parent/"
    assert client.get(reverse("accounts:home_parent")).status_code == 200


def test_password_change_rejects_mismatch_with_field_message(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password": "Aurora-1234", "new_password2": "Aurora-4321"},
    )
    assert "Пароли не совпадают." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_by_email(client, make_user):
    user = make_user(username="forgetful", email="mama@example.org", must_change_password=True)
    response = client.post(reverse("accounts:password_reset"), {"email": "mama@example.org"})
    assert response.status_code == 302
    # The same answer for an unknown address: nothing to learn about who is registered.
    other = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert other.status_code == 302 and other.url == response.url
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "forgetful" in body
    link = re.search(r"https?://[^/]+(/password/reset/[^\s]+)", body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "Ice-Floe-2026", "new_password2": "Ice-Floe-2026"}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Ice-Floe-2026")
    assert not user.must_change_password
    assert ActionLog.objects.filter(action="accounts.password_reset", actor=user).exists()


def test_logout_is_post_and_returns_home(client, make_user):
    client.force_login(make_user())
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response.url == "/"
    assert "_auth_user_id" not in client.session


ROLE_HOMES = [
    ("parent", "accounts:home_parent", "Личный кабинет родителя"),
    ("provider_staff", "accounts:home_provider", "Кабинет поставщика"),
    ("operator", "accounts:home_operator", "Кабинет оператора муниципалитета"),
    ("payer", "accounts:home_payer", "Кабинет уполномоченной организации"),
    ("expert", "accounts:home_expert", "Кабинет эксперта"),
    ("regional_admin", "accounts:home_region", "Кабинет администратора региона"),
]


@pytest.mark.parametrize(("role", "url_name", "heading"), ROLE_HOMES)
def test_role_home_open_only_to_its_role(
    client, make_user, vorkuta, region, role, url_name, heading
):
    scope = {"region": region} if role == "regional_admin" else {"municipality": vorkuta}
    client.force_login(make_user(role, **scope))
    cabinet = client.get("/cabinet/", follow=True)
    assert cabinet.redirect_chain[-1][0] == reverse(url_name)
    assert heading in cabinet.content.decode()
    for _, other_url, _ in ROLE_HOMES:
        if other_url != url_name:
            forbidden = client.get(reverse(other_url))
            assert forbidden.status_code == 403
            assert "Нет доступа" in forbidden.content.decode()


def test_superuser_home(client, make_user):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    response = client.get("/cabinet/", follow=True)
    assert "Администрирование системы" in response.content.decode()


def test_anonymous_cabinet_redirects_to_login(client, db):
    response = client.get("/cabinet/operator/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_operator_home_counts_members(client, make_user, vorkuta):
    operator = make_user("operator", municipality=vorkuta)
    make_user("parent", municipality=vorkuta)
    make_user("parent", municipality=vorkuta)
    client.force_login(operator)
    text = client.get(reverse("accounts:home_operator")).content.decode()
    assert re.search(r"<strong>2</strong>Родитель", text)


def test_user_list_is_scoped_and_card_view_is_logged(client, make_user, vorkuta, region):
    from pfdo.territory.tests.factories import MunicipalityFactory

    operator = make_user("operator", municipality=vorkuta)
    mine = make_user("parent", municipality=vorkuta, last_name="Своя")
    theirs = make_user("parent", municipality=MunicipalityFactory(region=region), last_name="Чужая")
    client.force_login(operator)
    listing = client.get(reverse("accounts:user_list")).content.decode()
    assert "Своя" in listing and "Чужая" not in listing
    search = client.get(reverse("accounts:user_list"), {"q": "Сво"}).content.decode()
    assert reverse("accounts:user_detail", args=[mine.pk]) in search
    assert reverse("accounts:user_detail", args=[operator.pk]) not in search
    card = client.get(reverse("accounts:user_detail", args=[mine.pk]))
    assert card.status_code == 200
    access = PersonalDataAccess.objects.get()
    assert (access.actor, access.subject_id, access.municipality) == (
        operator,
        str(mine.pk),
        vorkuta,
    )
    assert client.get(reverse("accounts:user_detail", args=[theirs.pk])).status_code == 404
    assert PersonalDataAccess.objects.count() == 1


def test_parent_cannot_list_users(client, make_user, vorkuta):
    client.force_login(make_user("parent", municipality=vorkuta))
    assert client.get(reverse("accounts:user_list")).status_code == 403


def test_operator_issues_a_one_time_password(client, make_user, vorkuta):
    operator = make_user("operator", municipality=vorkuta)
    parent = make_user("parent", municipality=vorkuta)
    client.force_login(operator)
    response = client.post(reverse("accounts:issue_password", args=[parent.pk]))
    assert response.status_code == 200
    issued = re.search(r'data-testid="issued-password">([^<]+)<', response.content.decode()).group(
        1
    )
    parent.refresh_from_db()
    assert parent.check_password(issued) and parent.must_change_password
    assert client.get(reverse("accounts:issue_password", args=[parent.pk])).status_code == 405


def test_operator_cannot_issue_password_outside_scope(client, make_user, vorkuta, region):
    from pfdo.territory.tests.factories import MunicipalityFactory

    client.force_login(make_user("operator", municipality=vorkuta))
    stranger = make_user("parent", municipality=MunicipalityFactory(region=region))
    assert client.post(reverse("accounts:issue_password", args=[stranger.pk])).status_code == 404
    stranger.refresh_from_db()
    assert stranger.check_password(PASSWORD)


def test_failed_login_keeps_only_real_logins_in_the_audit_log(client, make_user):
    user = make_user(username="olga")
    post_login(client, "olga", "bad")
    post_login(client, "my-secret-password-typed-here", "bad")
    rows = ActionLog.objects.filter(action="accounts.login_failed").order_by("id")
    assert [r.details["login"] for r in rows] == ["olga", "(неизвестный логин)"]
    assert rows[0].object_id == str(user.pk)
    assert "my-secret" not in str(list(rows.values_list("details", "object_repr")))


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "javascript:alert(1)", "/\t/evil.example"],
)
def test_password_change_never_redirects_off_the_site(client, make_user, target):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change") + "?" + urlencode({"next": target}),
        {"old_password": PASSWORD, "new_password": "Aurora-1234", "new_password2": "Aurora-1234"},
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
