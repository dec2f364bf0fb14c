"""Write use-cases of accounts: users, roles, passwords, API tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import IntegrityError, transaction

from pfdo.accounts.models import ApiToken, Membership, Notification, User
from pfdo.accounts.roles import MUNICIPAL_ROLES, Role
from pfdo.accounts.tokens import TOKEN_PREFIX, hash_token, new_raw_token
from pfdo.audit import services as audit
from pfdo.common import clock, ratelimit
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.validators import person_name_error

# No look-alike characters: issued passwords are read off paper and typed by hand.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - an alphabet, not a password


def generate_password(length: int = 10) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _validate_new_password(password: str, user: User | None, field: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed("Пароль не подходит.", fields={field: exc.messages}) from exc


def _membership_municipality(user: User):
    for m in user.active_memberships:
        if m.municipality_id:
            return m.municipality
    return None


@transaction.atomic
def create_user(
    *,
    actor,
    username: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    patronymic: str = "",
    email: str = "",
    phone: str = "",
    municipality=None,
    usable_password: bool = True,
) -> tuple[User, str | None]:
    """Create a user. Without `password` one is issued: returned once, changed at first login.

    `usable_password=False` makes an account nobody can log in to yet (a parent who applied
    online gets a password only when the certificate is issued).
    """
    username = username.strip()
    if not username:
        raise ValidationFailed(fields={"username": "Укажите логин."})
    names = {"first_name": first_name, "last_name": last_name, "patronymic": patronymic}
    bad_names = {field: problem for field, v in names.items() if (problem := person_name_error(v))}
    if bad_names:
        raise ValidationFailed(fields=bad_names)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(fields={"username": "Пользователь с таким логином уже существует."})
    issued = None
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        patronymic=patronymic,
        email=email,
        phone=phone,
    )
    if not usable_password:
        user.set_unusable_password()
    elif password is None:
        issued = generate_password()
        user.set_password(issued)
        user.must_change_password = True
    else:
        _validate_new_password(password, user, "password")
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationFailed(
            fields={"username": "Пользователь с таким логином уже существует."}
        ) from exc
    audit.record(
        actor=actor,
        action="accounts.user_created",
        obj=user,
        municipality=municipality,
        details={"issued_password": issued is not None},
    )
    return user, issued


@transaction.atomic
def grant_role(
    *,
    actor,
    user: User,
    role: str,
    municipality=None,
    region=None,
    is_provider_admin: bool = False,
) -> Membership:
    """Give `user` a role in a scope. Re-granting an existing role re-activates it."""
    role = Role(role)
    if role in MUNICIPAL_ROLES and municipality is None:
        raise ValidationFailed(fields={"municipality": "Для этой роли укажите муниципалитет."})
    if role == Role.REGIONAL_ADMIN and region is None:
        raise ValidationFailed(fields={"region": "Для администратора региона укажите регион."})
    if role == Role.REGIONAL_ADMIN:
        municipality = None
    elif role != Role.EXPERT:
        region = None
    if is_provider_admin and role != Role.PROVIDER_STAFF:
        raise ValidationFailed(
            fields={"is_provider_admin": "Администратором организации может быть только сотрудник."}
        )
    membership, created = Membership.objects.get_or_create(
        user=user,
        role=role,
        municipality=municipality,
        region=region,
        defaults={"is_provider_admin": is_provider_admin},
    )
    if not created:
        if membership.is_active and membership.is_provider_admin == is_provider_admin:
            return membership
        membership.is_active = True
        membership.is_provider_admin = is_provider_admin
        membership.save(update_fields=["is_active", "is_provider_admin"])
    user.__dict__.pop("active_memberships", None)
    audit.record(
        actor=actor,
        action="accounts.role_granted",
        obj=user,
        municipality=municipality,
        details={
            "role": role.value,
            "region": region.code if region else None,
            "provider_admin": is_provider_admin,
        },
    )
    return membership


@transaction.atomic
def revoke_role(*, actor, membership: Membership) -> Membership:
    if not membership.is_active:
        raise Conflict("Роль уже отозвана.")
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    membership.user.__dict__.pop("active_memberships", None)
    audit.record(
        actor=actor,
        action="accounts.role_revoked",
        obj=membership.user,
        municipality=membership.municipality,
        details={"role": membership.role},
    )
    return membership


@transaction.atomic
def change_password(*, actor, user: User, old_password: str, new_password: str) -> User:
    """The user replaces their password; an issued one stops being required to change."""
    if not user.check_password(old_password):
        raise ValidationFailed(fields={"old_password": "Текущий пароль введён неверно."})
    if old_password == new_password:
        raise ValidationFailed(
            fields={"new_password": "Новый пароль должен отличаться от текущего."}
        )
    return _replace_password(
        actor=actor,
        user=user,
        new_password=new_password,
        field="new_password",
        action="accounts.password_changed",
    )


@transaction.atomic
def reset_password(*, user: User, new_password: str) -> User:
    """Password set through the e-mailed reset link (the user proved the mailbox)."""
    return _replace_password(
        actor=user,
        user=user,
        new_password=new_password,
        field="new_password1",
        action="accounts.password_reset",
    )


@transaction.atomic
def issue_password(*, actor, user: User) -> str:
    """Give the user a new one-time password (e.g. lost); returned once, never stored plain."""
    issued = generate_password()
    user.set_password(issued)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    ApiToken.objects.filter(user=user).delete()
    audit.record(
        actor=actor,
        action="accounts.password_issued",
        obj=user,
        municipality=_membership_municipality(user),
    )
    return issued


def _replace_password(*, actor, user: User, new_password: str, field: str, action: str) -> User:
    """The owner sets a password they chose: validate, store, end the issued-password state.

    API tokens issued under the old password are revoked.
    """
    _validate_new_password(new_password, user, field)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    ApiToken.objects.filter(user=user).delete()
    audit.record(actor=actor, action=action, obj=user, municipality=_membership_municipality(user))
    return user


@transaction.atomic
def issue_api_token(*, user: User) -> tuple[ApiToken, str]:
    """A new bearer token for `user`: (row, raw token). The raw token is not stored."""
    raw = new_raw_token()
    token = ApiToken.objects.create(
        user=user,
        key_hash=hash_token(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        expires_at=clock.now() + timedelta(days=settings.PFDO_API_TOKEN_TTL_DAYS),
    )
    audit.record(actor=user, action="accounts.api_token_issued", obj=user)
    return token, raw


@transaction.atomic
def revoke_api_token(*, actor, token: ApiToken) -> None:
    user = token.user
    ApiToken.objects.filter(pk=token.pk).delete()
    audit.record(actor=actor, action="accounts.api_token_revoked", obj=user)


# ---------------------------------------------------------------------- anonymous attempts
# Counted before anything is done (the refusal's row in the action history must survive);
# over a limit `ratelimit.RateLimited` is raised: 429 with Retry-After.


def count_password_reset(*, email: str) -> None:
    """One reset letter asked for: per client address and per typed e-mail. The e-mail counts
    whether or not an account has it, so a refusal tells no more than the "sent" page does."""
    ratelimit.hit(
        ("password_reset_ip", f"ip:{ratelimit.client_ip()}"),
        ("password_reset_account", f"email:{(email or '').strip().lower()}"),
    )


def count_token_request(*, login: str) -> None:
    """One API token asked for: per client address and per typed login (existing or not).
    Wrong passwords also lock the login out through axes; this caps every attempt."""
    ratelimit.hit(
        ("token_ip", f"ip:{ratelimit.client_ip()}"),
        ("token_account", f"login:{(login or '').strip().lower()}"),
    )


def check_login_address() -> None:
    """Before a login on the page: an address that has used up its failed logins is refused.

    axes locks a login, and an address with one browser; a client that changes its browser
    string for every few guesses would walk through many logins from one address — this cap
    on failures per address stops it, while successful logins (a school or office behind
    one address) never count."""
    key = f"ip:{ratelimit.client_ip()}"
    if ratelimit.remaining("login_failures_ip", key) == 0:
        ratelimit.hit(("login_failures_ip", key))  # over the limit: refused and recorded


def count_login_failure() -> None:
    ratelimit.hit(("login_failures_ip", f"ip:{ratelimit.client_ip()}"))


# ------------------------------------------------------------------------------- notifications


def notify(*, user: User, subject: str, body: str = "", link: str = "") -> Notification:
    """Tell `user` something: a row in their cabinet now, an e-mail once the caller commits.

    The e-mail waits for the commit so a rolled-back decision never reaches a parent.
    """
    note = Notification.objects.create(user=user, subject=subject[:200], body=body, link=link)
    if user.email:
        text = body + (f"\n\n{settings.SITE_URL.rstrip('/')}{link}" if link else "")
        transaction.on_commit(
            lambda: send_mail(subject, text, None, [user.email], fail_silently=True)
        )
    return note


@dataclass(frozen=True, slots=True)
class Notice:
    """One message of `notify_many`: to a user (by id), with their e-mail if they have one."""

    user_id: int
    email: str
    subject: str
    body: str = ""
    link: str = ""


def notify_many(notices: list[Notice], *, chunk: int = 2000) -> int:
    """`notify` for thousands at once (an invoice's families): the cabinet rows are created in
    batches, and the e-mails go once the caller commits, over one mail connection."""
    for start in range(0, len(notices), chunk):
        Notification.objects.bulk_create(
            [
                Notification(user_id=n.user_id, subject=n.subject[:200], body=n.body, link=n.link)
                for n in notices[start : start + chunk]
            ]
        )
    site = settings.SITE_URL.rstrip("/")
    mails = [
        (n.subject[:200], n.body + (f"\n\n{site}{n.link}" if n.link else ""), n.email)
        for n in notices
        if n.email
    ]
    if mails:
        transaction.on_commit(lambda: _send_all(mails))
    return len(notices)


def _send_all(mails) -> None:
    connection = get_connection(fail_silently=True)
    messages = [EmailMessage(subject, text, None, [to]) for subject, text, to in mails]
    for start in range(0, len(messages), 500):
        connection.send_messages(messages[start : start + 500])


def mark_notifications_read(*, user: User, ids=None) -> int:
    """Mark the user's own notifications read (all unread ones without `ids`)."""
    rows = Notification.objects.for_user(user).unread()
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=clock.now())
