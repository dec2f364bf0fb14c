"""Providers of supplementary education, their staff and per-period enrolment limits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import transition
from simple_history.models import HistoricalRecords

from pfdo.common import clock
from pfdo.common.choices import LegalForm
from pfdo.common.fsm import StateField
from pfdo.providers.querysets import (
    BankDetailsChangeQuerySet,
    EnrolmentLimitQuerySet,
    ProviderQuerySet,
    ProviderStaffQuerySet,
)
from pfdo.providers.validators import validate_bik, validate_inn, validate_ogrn

# What the provider itself fills in (application and profile); status fields are the operator's.
PROFILE_FIELDS = (
    "full_name",
    "short_name",
    "legal_form",
    "inn",
    "kpp",
    "ogrn",
    "licence_exempt",
    "licence_number",
    "licence_issued_on",
    "director_name",
    "legal_address",
    "actual_address",
    "phone",
    "email",
    "website",
    "description",
    "bank_name",
    "bik",
    "settlement_account",
    "correspondent_account",
)

# Identity of the legal person: after inclusion only a new application may change it.
LOCKED_AFTER_INCLUSION = ("legal_form", "inn", "ogrn")

# Where the municipality's money goes. After inclusion they change only through a
# `BankDetailsChange` the operator approves: whoever holds the admin's password must not be
# able to redirect payments by editing the card.
BANK_FIELDS = ("bank_name", "bik", "settlement_account", "correspondent_account")


class ContractsOnExclusion(models.TextChoices):
    """The operator's decision, at exclusion, on the provider's running contracts."""

    RUN_TO_END = "run_to_end", "действуют до окончания"
    TERMINATE = "terminate", "расторгаются с указанной даты"


class Provider(models.Model):
    class Status(models.TextChoices):
        UNDER_REVIEW = "under_review", "на рассмотрении"
        ACTIVE = "active", "в реестре"
        NEEDS_CHECK = "needs_check", "требует проверки"
        EXCLUDED = "excluded", "исключён"
        REJECTED = "rejected", "отказано во включении"

    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        on_delete=models.PROTECT,
        related_name="providers",
    )
    full_name = models.CharField("полное наименование", max_length=500)
    short_name = models.CharField("краткое наименование", max_length=200)
    legal_form = models.CharField(
        "организационно-правовая форма", max_length=16, choices=LegalForm.choices
    )
    inn = models.CharField("ИНН", max_length=12, validators=[validate_inn])
    kpp = models.CharField("КПП", max_length=9, blank=True)
    ogrn = models.CharField("ОГРН / ОГРНИП", max_length=15, validators=[validate_ogrn])
    licence_number = models.CharField("номер лицензии", max_length=100, blank=True)
    licence_issued_on = models.DateField("дата лицензии", null=True, blank=True)
    licence_exempt = models.BooleanField("ИП без лицензии (ведёт занятия лично)", default=False)
    legal_address = models.CharField("юридический адрес", max_length=500)
    actual_address = models.CharField("фактический адрес", max_length=500)
    phone = models.CharField("телефон", max_length=32)
    email = models.EmailField("электронная почта")
    website = models.URLField("сайт", blank=True)
    director_name = models.CharField("руководитель", max_length=300, blank=True)
    bank_name = models.CharField("банк", max_length=300, blank=True)
    bik = models.CharField("БИК", max_length=9, blank=True, validators=[validate_bik])
    settlement_account = models.CharField("расчётный счёт", max_length=20, blank=True)
    correspondent_account = models.CharField("корр. счёт", max_length=20, blank=True)
    description = models.TextField("о поставщике", blank=True)

    status = StateField(
        "статус в реестре", default=Status.UNDER_REVIEW, choices=Status.choices, protected=False
    )
    status_reason = models.TextField("причина последнего решения", blank=True)
    # An application whose ИНН the municipality's registry already holds. The public form
    # answered it as any other (issue 13: it must not tell which organisations applied); the
    # operator sees why and rejects it with one click. Never included, never unique-checked.
    duplicate_reason = models.CharField("отмечено как дубликат", max_length=300, blank=True)
    status_changed_at = models.DateTimeField("решение принято", null=True, blank=True)
    applied_at = models.DateTimeField("заявка подана", default=clock.now)
    included_at = models.DateTimeField("включён в реестр", null=True, blank=True)
    # Set at exclusion when the operator terminates the running contracts: their last day.
    # Empty on an excluded provider: its contracts run to their end. The enrolment job
    # terminates them on this day (or at once, when it is the day of the exclusion).
    contracts_terminate_on = models.DateField(
        "договоры расторгаются (последний день)", null=True, blank=True
    )
    rating_avg = models.DecimalField(
        "рейтинг", max_digits=3, decimal_places=2, null=True, blank=True
    )
    rating_count = models.PositiveIntegerField("оценок", default=0)

    objects = ProviderQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "поставщик"
        verbose_name_plural = "поставщики"
        ordering = ["short_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "inn"],
                condition=Q(duplicate_reason=""),
                name="providers_unique_inn_per_municipality",
            ),
            models.CheckConstraint(
                condition=~Q(legal_form="ip") | Q(inn__regex=r"^[0-9]{12}$"),
                name="providers_ip_inn_12_digits",
                violation_error_message="У ИП ИНН состоит из 12 цифр.",
            ),
            models.CheckConstraint(
                condition=Q(legal_form="ip") | Q(inn__regex=r"^[0-9]{10}$"),
                name="providers_org_inn_10_digits",
                violation_error_message="У организации ИНН состоит из 10 цифр.",
            ),
            models.CheckConstraint(
                condition=Q(licence_exempt=False) | Q(legal_form="ip"),
                name="providers_licence_exempt_only_ip",
                violation_error_message="Без лицензии может работать только ИП, ведущий занятия лично.",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name

    @property
    def identity_locked(self) -> bool:
        """ИНН, ОГРН and legal form no longer change once the provider was in the registry."""
        return self.included_at is not None or self.status in (
            self.Status.ACTIVE,
            self.Status.NEEDS_CHECK,
            self.Status.EXCLUDED,
        )

    @property
    def bank_details_locked(self) -> bool:
        """Bank details change only by an approved request once the provider was included
        (before that the operator reviews the whole card at inclusion)."""
        return self.identity_locked

    @property
    def bank_details(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in BANK_FIELDS}

    @property
    def accepts_enrolments(self) -> bool:
        return self.status == self.Status.ACTIVE

    # Transitions: guards and audit live in services; the model only names the moves.
    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.ACTIVE)
    def include(self) -> None: ...

    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.REJECTED)
    def reject(self) -> None: ...

    @transition(field=status, source=Status.REJECTED, target=Status.UNDER_REVIEW)
    def resubmit(self) -> None: ...

    @transition(field=status, source=Status.ACTIVE, target=Status.NEEDS_CHECK)
    def mark_needs_check(self) -> None: ...

    @transition(field=status, source=Status.NEEDS_CHECK, target=Status.ACTIVE)
    def reinstate(self) -> None: ...

    @transition(field=status, source=[Status.ACTIVE, Status.NEEDS_CHECK], target=Status.EXCLUDED)
    def exclude(self) -> None: ...


class ProviderStaff(models.Model):
    """A user working for a provider; the admin manages the other staff."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider_staff"
    )
    is_admin = models.BooleanField("администратор организации", default=False)
    is_active = models.BooleanField("работает", default=True)
    position = models.CharField("должность", max_length=200, blank=True)
    created_at = models.DateTimeField("добавлен", default=clock.now)

    objects = ProviderStaffQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "сотрудник поставщика"
        verbose_name_plural = "сотрудники поставщиков"
        constraints = [
            models.UniqueConstraint(fields=["provider", "user"], name="providers_staff_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.provider}"


STAFFED_CACHE_ATTR = "_pfdo_staffed_provider_ids"


def staffed_provider_ids(user) -> frozenset[int]:
    """The providers `user` works for (active staff), looked up once per user object.

    The one answer to "which providers does this user work for": rules, selectors and
    services all ask it, so a list checking every row asks the database once per request.
    `forget_staffed_provider_ids` drops the cached answer when staff change.
    """
    if not user or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = user.__dict__.get(STAFFED_CACHE_ATTR)
    if cached is None:
        cached = frozenset(
            ProviderStaff.objects.filter(user=user, is_active=True).values_list(
                "provider_id", flat=True
            )
        )
        user.__dict__[STAFFED_CACHE_ATTR] = cached
    return cached


def forget_staffed_provider_ids(user) -> None:
    user.__dict__.pop(STAFFED_CACHE_ATTR, None)


class EnrolmentLimit(models.Model):
    """At most this many children of the period may study at the provider (лимит зачисления)."""

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="enrolment_limits"
    )
    period = models.ForeignKey(
        "financing.FinancingPeriod", on_delete=models.CASCADE, related_name="enrolment_limits"
    )
    max_children = models.PositiveIntegerField("не более детей")

    objects = EnrolmentLimitQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "лимит зачисления"
        verbose_name_plural = "лимиты зачисления"
        constraints = [
            models.UniqueConstraint(fields=["provider", "period"], name="providers_limit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.max_children}"


class BankDetailsChange(models.Model):
    """A provider admin's request to change the bank details (заявка на смену реквизитов).

    Only the operator of the provider's municipality approves it, and only then do the
    provider's details change; until then payments keep going to the old account. One
    pending request per provider. `old_*` hold the details the request replaces: as they
    stood when it was filed, and as they stood when it was approved once it is.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "ждёт решения оператора"
        APPROVED = "approved", "подтверждена"
        REJECTED = "rejected", "отклонена"
        WITHDRAWN = "withdrawn", "отозвана"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="bank_changes")
    status = StateField(
        "статус", max_length=16, default=Status.PENDING, choices=Status.choices, protected=False
    )
    bank_name = models.CharField("банк", max_length=300)
    bik = models.CharField("БИК", max_length=9)
    settlement_account = models.CharField("расчётный счёт", max_length=20)
    correspondent_account = models.CharField("корр. счёт", max_length=20, blank=True)
    old_bank_name = models.CharField("прежний банк", max_length=300, blank=True)
    old_bik = models.CharField("прежний БИК", max_length=9, blank=True)
    old_settlement_account = models.CharField("прежний расчётный счёт", max_length=20, blank=True)
    old_correspondent_account = models.CharField("прежний корр. счёт", max_length=20, blank=True)
    comment = models.TextField("комментарий поставщика", blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField("подана", default=clock.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField("решение", null=True, blank=True)
    reason = models.TextField("причина отказа", blank=True)

    objects = BankDetailsChangeQuerySet.as_manager()

    class Meta:
        verbose_name = "заявка на смену реквизитов"
        verbose_name_plural = "заявки на смену реквизитов"
        ordering = ["-filed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(status="pending"),
                name="providers_one_pending_bank_change",
                violation_error_message="Заявка на смену реквизитов уже ждёт решения оператора.",
            ),
        ]

    def __str__(self) -> str:
        return f"Смена реквизитов № {self.pk} — {self.provider}"

    @property
    def new_details(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in BANK_FIELDS}

    @property
    def old_details(self) -> dict[str, str]:
        return {name: getattr(self, f"old_{name}") for name in BANK_FIELDS}

    def set_old(self, details: dict[str, str]) -> None:
        for name in BANK_FIELDS:
            setattr(self, f"old_{name}", details[name])

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    # Guards (who, the provider's lock) and audit live in the services.
    @transition(field=status, source=Status.PENDING, target=Status.APPROVED)
    def approve(self, *, by, old: dict[str, str]) -> None:
        self.set_old(old)
        self.decided_by = by
        self.decided_at = clock.now()

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self, *, by, reason: str) -> None:
        self.decided_by = by
        self.decided_at = clock.now()
        self.reason = reason

    @transition(field=status, source=Status.PENDING, target=Status.WITHDRAWN)
    def withdraw(self, *, by) -> None:
        self.decided_by = by
        self.decided_at = clock.now()
