"""Accounts services: users, roles, passwords and tokens, each audited."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.test import override_settings

from pfdo.accounts import selectors, services
from pfdo.accounts.models import ApiToken, Membership, User
from pfdo.accounts.roles import Role
from pfdo.accounts.tests.factories import PASSWORD
from pfdo.audit.models import ActionLog
from pfdo.common import clock
from pfdo.common.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.sqlite  # also in the SQLite pass of `make test`


def actions(action):
    return ActionLog.objects.filter(action=action)


def test_create_user_with_issued_password(make_user, vorkuta):
    operator = make_user("operator", municipality=vorkuta)
    user, issued = services.create_user(
        actor=operator, username="ivanov", last_name="Иванов", municipality=vorkuta
    )
    assert issued and len(issued) == 10
    assert user.check_password(issued)
    assert user.must_change_password
    row = actions("accounts.user_created").get()
    assert row.actor == operator
    assert row.details == {"issued_password": True}
    assert issued not in str(row.details)


def test_create_user_with_own_password_validates_it(db):
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(actor=None, username="weak", password="123")
    assert "password" in exc.value.fields
    assert not User.objects.filter(username="weak").exists()
    user, issued = services.create_user(actor=None, username="strong", password=PASSWORD)
    assert issued is None and not user.must_change_password


def test_duplicate_login_is_refused_case_insensitively(make_user):
    make_user(username="Parent1")
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(actor=None, username="parent1")
    assert exc.value.fields == {"username": ["Пользователь с таким логином уже существует."]}


def test_production_hasher_is_argon2(db):
    assert settings.PRODUCTION_PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=settings.PRODUCTION_PASSWORD_HASHERS):
        user, _ = services.create_user(actor=None, username="argon", password=PASSWORD)
        assert user.password.startswith("argon2$")
        assert user.check_password(PASSWORD)


def test_grant_role_scopes(make_user, vorkuta, region):
    user = make_user()
    with pytest.raises(ValidationFailed) as exc:
        services.grant_role(actor=None, user=user, role=Role.OPERATOR)
    assert "municipality" in exc.value.fields
    with pytest.raises(ValidationFailed):
        services.grant_role(actor=None, user=user, role=Role.REGIONAL_ADMIN)
    with pytest.raises(ValidationFailed):
        services.grant_role(
            actor=None, user=user, role=Role.PARENT, municipality=vorkuta, is_provider_admin=True
        )
    m = services.grant_role(actor=None, user=user, role=Role.OPERATOR, municipality=vorkuta)
    again = services.grant_role(actor=None, user=user, role=Role.OPERATOR, municipality=vorkuta)
    assert m.pk == again.pk
    assert actions("accounts.role_granted").count() == 1
    assert user.has_role(Role.OPERATOR)
    assert user.municipality_ids_for(Role.OPERATOR) == {vorkuta.pk}
    services.grant_role(actor=None, user=user, role=Role.REGIONAL_ADMIN, region=region)
    assert user.region_ids_for(Role.REGIONAL_ADMIN) == {region.pk}
    assert user.home_role == Role.REGIONAL_ADMIN


def test_revoke_role_and_regrant(make_user, vorkuta):
    user = make_user()
    m = services.grant_role(actor=None, user=user, role=Role.PAYER, municipality=vorkuta)
    services.revoke_role(actor=None, membership=m)
    assert not User.objects.get(pk=user.pk).has_role(Role.PAYER)
    with pytest.raises(Conflict):
        services.revoke_role(actor=None, membership=m)
    services.grant_role(actor=None, user=user, role=Role.PAYER, municipality=vorkuta)
    assert User.objects.get(pk=user.pk).has_role(Role.PAYER)


@pytest.mark.parametrize(
    "fields",
    [
        {"role": "operator"},  # municipal role without municipality
        {"role": "regional_admin"},  # regional admin without region
        {"role": "parent", "municipality": True, "is_provider_admin": True},
    ],
)
def test_database_constraints_back_the_scope_rules(make_user, vorkuta, fields):
    fields = dict(fields)
    if fields.pop("municipality", False):
        fields["municipality"] = vorkuta
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=make_user(), **fields)


def test_change_password(make_user):
    user = make_user(must_change_password=True)
    services.issue_api_token(user=user)
    with pytest.raises(ValidationFailed) as exc:
        services.change_password(actor=user, user=user, old_password="nope", new_password="x")
    assert list(exc.value.fields) == ["old_password"]
    with pytest.raises(ValidationFailed) as exc:
        services.change_password(actor=user, user=user, old_password=PASSWORD, new_password="12345")
    assert list(exc.value.fields) == ["new_password"]
    with pytest.raises(ValidationFailed):
        services.change_password(
            actor=user, user=user, old_password=PASSWORD, new_password=PASSWORD
        )
    services.change_password(
        actor=user, user=user, old_password=PASSWORD, new_password="Northern-lights-7"
    )
    user.refresh_from_db()
    assert user.check_password("Northern-lights-7")
    assert not user.must_change_password
    assert not ApiToken.objects.filter(user=user).exists()
    assert actions("accounts.password_changed").filter(actor=user).count() == 1


def test_issue_password_replaces_the_old_one(make_user, vorkuta):
    operator = make_user("operator", municipality=vorkuta)
    parent = make_user("parent", municipality=vorkuta)
    issued = services.issue_password(actor=operator, user=parent)
    parent.refresh_from_db()
    assert parent.check_password(issued)
    assert not parent.check_password(PASSWORD)
    assert parent.must_change_password
    row = actions("accounts.password_issued").get()
    assert (row.actor, row.municipality) == (operator, vorkuta)


def test_reset_password_clears_the_issued_flag(make_user):
    user = make_user(must_change_password=True)
    services.reset_password(user=user, new_password="Polar-night-2026")
    user.refresh_from_db()
    assert user.check_password("Polar-night-2026") and not user.must_change_password


def test_api_token_is_stored_hashed_and_expires(make_user):
    user = make_user()
    token, raw = services.issue_api_token(user=user)
    assert raw.startswith("pfdo_")
    assert raw not in token.key_hash and len(token.key_hash) == 64
    assert selectors.user_by_api_token(raw) == (user, token)
    assert selectors.user_by_api_token(raw + "x") is None
    with clock.frozen(token.expires_at + timedelta(seconds=1)):
        assert selectors.user_by_api_token(raw) is None
    user.is_active = False
    user.save()
    assert selectors.user_by_api_token(raw) is None


def test_revoke_api_token(make_user):
    user = make_user()
    token, raw = services.issue_api_token(user=user)
    services.revoke_api_token(actor=user, token=token)
    assert selectors.user_by_api_token(raw) is None
    assert actions("accounts.api_token_revoked").count() == 1
