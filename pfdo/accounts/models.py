"""Users, their role memberships and their API tokens."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from pfdo.accounts.querysets import MembershipQuerySet, UserManager
from pfdo.accounts.roles import HOME_ORDER, Role
from pfdo.common import clock
from pfdo.common.querysets import ScopedQuerySet


class User(AbstractUser):
    """A person who logs in. What they may do comes from their memberships."""

    username = models.CharField(
        "логин",
        max_length=150,
        unique=True,
        validators=[AbstractUser.username_validator],
        error_messages={"unique": "Пользователь с таким логином уже существует."},
        help_text="Латинские буквы, цифры и символы @ . + - _",
    )
    patronymic = models.CharField("отчество", max_length=150, blank=True)
    phone = models.CharField("телефон", max_length=32, blank=True)
    must_change_password = models.BooleanField(
        "сменить пароль при входе",
        default=False,
        help_text="Пароль был выдан (оператором или системой) и должен быть заменён при входе.",
    )

    objects = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = "пользователь"
        verbose_name_plural = "пользователи"
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    # Role helpers: memberships are cached for the life of this object (one request).
    @cached_property
    def active_memberships(self) -> list[Membership]:
        if not self.pk or not self.is_active:
            return []
        return list(
            self.memberships.filter(is_active=True).select_related("municipality", "region")
        )

    @property
    def roles(self) -> set[str]:
        return {m.role for m in self.active_memberships}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def municipality_ids_for(self, *roles: str) -> set[int]:
        return {
            m.municipality_id
            for m in self.active_memberships
            if m.role in roles and m.municipality_id
        }

    def region_ids_for(self, *roles: str) -> set[int]:
        return {m.region_id for m in self.active_memberships if m.role in roles and m.region_id}

    @property
    def home_role(self) -> str | None:
        for role in HOME_ORDER:
            if role in self.roles:
                return role
        return None


class Membership(models.Model):
    """One role of a user, with its scope: a municipality, or a region for its administrator.

    Provider staff are also bound to a provider; that link lives in the providers app,
    which is above accounts in the dependency order.
    """

    user = models.ForeignKey(
        User, verbose_name="пользователь", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField("роль", max_length=32, choices=Role.choices)
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    region = models.ForeignKey(
        "territory.Region",
        verbose_name="регион",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    is_provider_admin = models.BooleanField("администратор организации", default=False)
    is_active = models.BooleanField("действует", default=True)
    created_at = models.DateTimeField("создано", default=clock.now)

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "роль пользователя"
        verbose_name_plural = "роли пользователей"
        constraints = [
            models.CheckConstraint(
                name="accounts_membership_scope",
                condition=(
                    Q(
                        role__in=["parent", "provider_staff", "operator", "payer"],
                        municipality__isnull=False,
                        region__isnull=True,
                    )
                    | Q(role="regional_admin", region__isnull=False, municipality__isnull=True)
                    | Q(role="expert", region__isnull=True)
                ),
                violation_error_message=(
                    "Роль муниципалитета требует муниципалитет; администратор региона — регион."
                ),
            ),
            models.CheckConstraint(
                name="accounts_membership_provider_admin_only_staff",
                condition=Q(is_provider_admin=False) | Q(role="provider_staff"),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "municipality"],
                condition=Q(municipality__isnull=False),
                name="accounts_membership_unique_municipal",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=Q(region__isnull=False),
                name="accounts_membership_unique_regional",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(region__isnull=True, municipality__isnull=True),
                name="accounts_membership_unique_unscoped",
            ),
        ]

    def __str__(self) -> str:
        scope = self.municipality or self.region
        return f"{self.get_role_display()}" + (f" — {scope}" if scope else "")


class ApiTokenQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def valid(self):
        return self.filter(expires_at__gt=clock.now())


class ApiToken(models.Model):
    """An API bearer token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField("начало токена", max_length=12)
    created_at = models.DateTimeField("выдан", default=clock.now)
    expires_at = models.DateTimeField("действует до")

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API-токен"
        verbose_name_plural = "API-токены"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class NotificationQuerySet(ScopedQuerySet):
    def for_user(self, user):
        # A notification is private to its addressee, superusers included.
        if not user or not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message to one user: shown in the cabinet and, when they have an e-mail, sent.

    The row is also the e-mail's outbox: `email_state` says whether the letter is still to go
    (pending), went (sent) or was given up after `EMAIL_MAX_ATTEMPTS` (failed, with the
    error). A letter to an address with no account (an organisation's card e-mail) is a row
    without a user: it is never shown in a cabinet.
    """

    class EmailState(models.TextChoices):
        NONE = "", "не отправляется"
        PENDING = "pending", "ждёт отправки"
        SENT = "sent", "отправлено"
        FAILED = "failed", "не отправлено"

    user = models.ForeignKey(
        User,
        verbose_name="получатель",
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    subject = models.CharField("тема", max_length=200)
    body = models.TextField("текст", blank=True)
    link = models.CharField("ссылка", max_length=300, blank=True)
    created_at = models.DateTimeField("создано", default=clock.now, db_index=True)
    read_at = models.DateTimeField("прочитано", null=True, blank=True)
    # One notification per user and key (a reminder about one offer is sent once); empty for
    # ordinary notifications.
    key = models.CharField("ключ", max_length=100, blank=True)
    # The outbox: the address as it was when the notification was written.
    email = models.EmailField("адрес почты", blank=True)
    email_state = models.CharField(
        "письмо", max_length=8, choices=EmailState.choices, default=EmailState.NONE, blank=True
    )
    email_attempts = models.PositiveSmallIntegerField("попыток отправки", default=0)
    # A pending letter is due from this moment (after a failed attempt: the next try).
    email_due_at = models.DateTimeField("отправить с", null=True, blank=True)
    email_sent_at = models.DateTimeField("письмо отправлено", null=True, blank=True)
    email_error = models.TextField("ошибка отправки", blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "уведомление"
        verbose_name_plural = "уведомления"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="accounts_notif_user_created"),
            # The sweep's look-up: only letters still to go (a handful among millions).
            models.Index(
                fields=["email_due_at"],
                name="accounts_notif_outbox",
                condition=Q(email_state="pending"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="accounts_notif_user_key", condition=~Q(key="")
            ),
        ]

    def __str__(self) -> str:
        return self.subject
