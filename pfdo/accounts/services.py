"""Write use-cases of accounts: users, roles, passwords, API tokens."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction

from pfdo.accounts.models import ApiToken, Membership, Notification, User
from pfdo.accounts.roles import MUNICIPAL_ROLES, Role
from pfdo.accounts.tokens import TOKEN_PREFIX, hash_token, new_raw_token
from pfdo.audit import services as audit
from pfdo.common import clock, ratelimit
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.validators import person_name_error

log = logging.getLogger(__name__)

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
# A notification row is the e-mail's outbox (docs/decisions.md, «Почта через outbox»): the
# row is written in the caller's transaction with its letter pending; after the commit a task
# (`pfdo.accounts.deliver`, a worker with a broker, this process without one) sends it and
# marks it sent; the sweep (beat, every minute) sends whatever a lost task left.

DELIVER_TASK = "pfdo.accounts.deliver"
LETTER_TASK = "pfdo.accounts.send_letter"
# Attempts at one letter before it is given up as failed (the error is kept on the row).
EMAIL_MAX_ATTEMPTS = 5
# A pending letter this long past its due moment was lost by its task: the sweep sends it.
SWEEP_AFTER = timedelta(minutes=1)
# Letters per transaction while sending (their rows stay locked while they go) and per task.
_SEND_CHUNK = 100
_TASK_CHUNK = 2000
_SWEEP_LIMIT = 5000

_PENDING = Notification.EmailState.PENDING


def notify(*, user: User, subject: str, body: str = "", link: str = "") -> Notification:
    """Tell `user` something: a row in their cabinet now, an e-mail once the caller commits.

    The e-mail waits for the commit so a rolled-back decision never reaches a parent; it is
    sent by a task (a worker, or this process without a broker), never inside this call.
    """
    note = notice(user=user, subject=subject, body=body, link=link)
    note.save(force_insert=True)
    deliver_after_commit(note)
    return note


def notice(*, user: User, subject: str, body: str = "", link: str = "") -> Notification:
    """`notify`'s row, unsaved: for a caller that writes it with others in one round trip
    (`common.batch.insert_rows`); once it is written, call `deliver_after_commit`."""
    email = (user.email or "").strip()
    return Notification(
        user=user, subject=subject[:200], body=body, link=link, **_outbox_fields(email)
    )


def deliver_after_commit(note: Notification) -> None:
    """The written notice's letter, enqueued once the caller commits (none without e-mail)."""
    if note.email:
        transaction.on_commit(partial(enqueue_delivery, [note.pk]), robust=True)


def mail_to_address(*, email: str, subject: str, body: str = "") -> Notification | None:
    """A letter to an address without an account (an organisation's card e-mail), through the
    same outbox: a row without a user (never shown in a cabinet), sent after the commit."""
    email = (email or "").strip()
    if not email:
        return None
    note = Notification.objects.create(
        user=None, subject=subject[:200], body=body, **_outbox_fields(email)
    )
    transaction.on_commit(partial(enqueue_delivery, [note.pk]), robust=True)
    return note


def _outbox_fields(email: str) -> dict:
    if not email:
        return {}
    return {"email": email, "email_state": _PENDING, "email_due_at": clock.now()}


@dataclass(frozen=True, slots=True)
class Notice:
    """One message of `notify_many`: to a user (by id), with their e-mail if they have one.
    With a `key` it is written once per user and key (a reminder): a repeat writes nothing."""

    user_id: int
    email: str
    subject: str
    body: str = ""
    link: str = ""
    key: str = ""


def notify_many(notices: list[Notice], *, chunk: int = 2000) -> int:
    """`notify` for thousands at once (an invoice's families): the cabinet rows are created in
    batches, and their letters go once the caller commits, a task per batch.

    Returns how many notices were given; keyed notices already written earlier are skipped
    (see `remind` for how many were new)."""
    for start in range(0, len(notices), chunk):
        _write(notices[start : start + chunk])
    return len(notices)


def remind(notices: list[Notice]) -> int:
    """Keyed notices (reminders), each written once per user and key however often this runs:
    returns how many were new."""
    keyed = [n for n in notices if n.key]
    done = set(
        Notification.objects.filter(
            user_id__in={n.user_id for n in keyed}, key__in={n.key for n in keyed}
        ).values_list("user_id", "key")
    )
    fresh = [n for n in keyed if (n.user_id, n.key) not in done]
    for start in range(0, len(fresh), 2000):
        _write(fresh[start : start + 2000])
    return len(fresh)


def _write(notices: list[Notice]) -> None:
    rows = [
        Notification(
            user_id=n.user_id,
            subject=n.subject[:200],
            body=n.body,
            link=n.link,
            key=n.key,
            **_outbox_fields((n.email or "").strip()),
        )
        for n in notices
    ]
    keyed = any(n.key for n in notices)
    # A keyed notice written meanwhile by another run is skipped, not an error.
    made = Notification.objects.bulk_create(rows, ignore_conflicts=keyed)
    if keyed:
        # Skipped rows come back without a pk: the pending letters are looked up.
        ids = list(
            Notification.objects.filter(
                email_state=_PENDING,
                user_id__in={n.user_id for n in notices},
                key__in={n.key for n in notices},
            ).values_list("pk", flat=True)
        )
    else:
        ids = [row.pk for row in made if row.email_state == _PENDING]
    if ids:
        transaction.on_commit(partial(enqueue_delivery, ids), robust=True)


def enqueue_delivery(ids: list[int]) -> None:
    """Hand the letters to a worker (to this process without a broker), a task per batch. A
    broker that does not answer leaves them pending: the sweep sends them."""
    from celery import current_app

    # By name: the task module is an entry point above the services (tasks.py).
    task = current_app.tasks[DELIVER_TASK]
    for start in range(0, len(ids), _TASK_CHUNK):
        try:
            task.apply_async(args=[ids[start : start + _TASK_CHUNK]])
        except Exception:
            log.exception("notifications %s…: not handed over; the sweep will send them", ids[0])


@dataclass
class Delivery:
    """What one delivery did: letters sent, put off after an error, given up."""

    sent: int = 0
    failed: int = 0
    retry: list[int] = field(default_factory=list)
    retry_at: dt.datetime | None = None


def deliver(ids: list[int]) -> Delivery:
    """Send the pending letters among `ids`, exactly once each.

    Each batch is claimed with FOR UPDATE SKIP LOCKED and marked sent in the transaction that
    sends it: a second delivery of the same rows at the same moment (a redelivered task, the
    sweep) skips them while they are being sent and finds them sent afterwards. An error of
    the mail server leaves a letter pending for a later try (backing off), failed after
    `EMAIL_MAX_ATTEMPTS`.
    """
    result = Delivery()
    ids = sorted(set(ids))
    for start in range(0, len(ids), _SEND_CHUNK):
        _deliver_batch(ids[start : start + _SEND_CHUNK], result)
    return result


def _deliver_batch(ids: list[int], result: Delivery) -> None:
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, email_state=_PENDING)
            .order_by("pk")
        )
        if not rows:
            return
        now = clock.now()
        site = settings.SITE_URL.rstrip("/")
        mail = get_connection()
        try:
            mail.open()
        except Exception as exc:
            for row in rows:
                _attempt_failed(row, exc, now, result)
        else:
            try:
                for row in rows:
                    text = row.body + (f"\n\n{site}{row.link}" if row.link else "")
                    message = EmailMessage(row.subject, text, None, [row.email], connection=mail)
                    try:
                        message.send()
                    except Exception as exc:
                        _attempt_failed(row, exc, now, result)
                    else:
                        row.email_state = Notification.EmailState.SENT
                        row.email_attempts += 1
                        row.email_sent_at = now
                        row.email_error = ""
                        result.sent += 1
            finally:
                with contextlib.suppress(Exception):
                    mail.close()
        Notification.objects.bulk_update(rows, _OUTBOX_FIELDS)


_OUTBOX_FIELDS = ["email_state", "email_attempts", "email_due_at", "email_sent_at", "email_error"]


def _attempt_failed(row: Notification, exc: Exception, now: dt.datetime, result: Delivery) -> None:
    row.email_attempts += 1
    row.email_error = f"{type(exc).__name__}: {exc}"[:1000]
    if row.email_attempts >= EMAIL_MAX_ATTEMPTS:
        row.email_state = Notification.EmailState.FAILED
        result.failed += 1
        log.error("notification %s: letter given up after %s attempts", row.pk, row.email_attempts)
        return
    # 1, 2, 4, 8 minutes between tries.
    row.email_due_at = now + timedelta(minutes=2 ** (row.email_attempts - 1))
    result.retry.append(row.pk)
    result.retry_at = min(filter(None, [result.retry_at, row.email_due_at]))
    log.warning("notification %s: letter not sent (%s); to be retried", row.pk, row.email_error)


def lost_letters(now: dt.datetime | None = None) -> list[int]:
    """Pending letters more than SWEEP_AFTER past their due moment: their task was lost (with
    the broker, a worker killed mid-send, a commit that never enqueued)."""
    since = (now or clock.now()) - SWEEP_AFTER
    return list(
        Notification.objects.filter(email_state=_PENDING, email_due_at__lt=since)
        .order_by("email_due_at")
        .values_list("pk", flat=True)[:_SWEEP_LIMIT]
    )


def sweep_outbox(now: dt.datetime | None = None) -> Delivery:
    """Send what lost tasks left (beat, every minute; `manage.py send_outbox` by hand)."""
    return deliver(lost_letters(now))


def send_letter(*, subject: str, body: str, to: str) -> None:
    """A letter that is not a notification and must not rest in the database: a password
    reset link is a key to the account. A task sends it (this process without a broker); a
    letter lost with its task is asked for again by the person waiting for it."""
    from celery import current_app

    try:
        current_app.tasks[LETTER_TASK].apply_async(args=[subject, body, to])
    except Exception:
        log.exception("a letter was not handed over to the mail task")


def send_letter_now(*, subject: str, body: str, to: str) -> None:
    EmailMessage(subject, body, None, [to]).send()


def mark_notifications_read(*, user: User, ids=None) -> int:
    """Mark the user's own notifications read (all unread ones without `ids`)."""
    rows = Notification.objects.for_user(user).unread()
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=clock.now())
