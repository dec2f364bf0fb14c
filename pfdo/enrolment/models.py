"""Applications to groups, the waitlist, contracts and their monthly schedules; the record of
provider staff's certificate look-ups."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import transition
from simple_history.models import HistoricalRecords

from pfdo.audit.models import AppendOnlyModel
from pfdo.common import clock
from pfdo.common.fsm import StateField
from pfdo.enrolment.querysets import (
    ApplicationQuerySet,
    CertificateLookupQuerySet,
    ContinuationOfferQuerySet,
    ContractMonthQuerySet,
    ContractQuerySet,
)


class Application(models.Model):
    """A child's application to a group (заявка на зачисление).

    It holds a place in the group from the moment it is filed (status `new`, `awaiting_parent`
    or `offered`); a full group puts it on the waitlist instead. The place is released when
    the application ends without a contract or the contract ends.
    """

    class Status(models.TextChoices):
        AWAITING_PARENT = "awaiting_parent", "ждёт подтверждения родителя"
        NEW = "new", "новая, ждёт решения поставщика"
        WAITLISTED = "waitlisted", "в листе ожидания"
        OFFERED = "offered", "предложен договор"
        ENROLLED = "enrolled", "зачислен"
        COMPLETED = "completed", "обучение завершено"
        TERMINATED = "terminated", "договор расторгнут"
        REJECTED = "rejected", "отклонена поставщиком"
        CANCELLED = "cancelled", "отозвана родителем"
        DECLINED = "declined", "родитель отказался от договора"
        EXPIRED = "expired", "истёк срок"

    class Channel(models.TextChoices):
        ONLINE = "online", "через личный кабинет"
        IN_PERSON = "in_person", "лично у поставщика"

    # Statuses that hold a place in the group.
    HOLDING = (Status.AWAITING_PARENT, Status.NEW, Status.OFFERED, Status.ENROLLED)
    # Statuses of a live application (one per child and group).
    LIVE = (*HOLDING, Status.WAITLISTED)

    child = models.ForeignKey(
        "certificates.Child", on_delete=models.PROTECT, related_name="enrolment_applications"
    )
    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.PROTECT, related_name="enrolment_applications"
    )
    group = models.ForeignKey(
        "catalog.Group", on_delete=models.PROTECT, related_name="enrolment_applications"
    )
    provider = models.ForeignKey(
        "providers.Provider", on_delete=models.PROTECT, related_name="enrolment_applications"
    )
    municipality = models.ForeignKey(
        "territory.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="законный представитель",
        on_delete=models.PROTECT,
        related_name="enrolment_applications",
    )
    channel = models.CharField("способ подачи", max_length=16, choices=Channel.choices)
    # Set once at filing (the state the filing reached); changed only by the transitions below.
    status = StateField("статус", max_length=20, choices=Status.choices, protected=False)
    copay_agreed = models.BooleanField("родитель согласен на доплату", default=False)
    reason = models.TextField("причина", blank=True)
    # The in-person confirmation code (services/codes.py): its hash while the application waits
    # for the parent, the wrong codes typed, and when too many made it void.
    confirm_code_hash = models.CharField(max_length=64, blank=True)
    code_failures = models.PositiveSmallIntegerField("неверных кодов подтверждения", default=0)
    code_failed_at = models.DateTimeField("последний неверный код", null=True, blank=True)
    code_voided_at = models.DateTimeField("код подтверждения аннулирован", null=True, blank=True)
    # The family's co-payment the code's notice stated: telling the code agrees to exactly that,
    # so a code told after the terms changed concludes nothing (services/codes.py).
    code_copay_kopecks = models.BigIntegerField(
        "доплата, названная в уведомлении с кодом", null=True, blank=True
    )
    created_at = models.DateTimeField("подана", default=clock.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decide_by = models.DateTimeField("решение до", null=True, blank=True)
    decided_at = models.DateTimeField("решение", null=True, blank=True)
    status_changed_at = models.DateTimeField("статус изменён", default=clock.now)

    objects = ApplicationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "заявка на зачисление"
        verbose_name_plural = "заявки на зачисление"
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["group", "status", "created_at"], name="enrol_app_group_status"),
            models.Index(fields=["provider", "status"], name="enrol_app_provider_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "group"],
                condition=Q(
                    status__in=["awaiting_parent", "new", "waitlisted", "offered", "enrolled"]
                ),
                name="enrolment_one_live_application_per_child_group",
                violation_error_message="Ребёнок уже записан или ждёт в этой группе.",
            ),
        ]

    def __str__(self) -> str:
        return f"Заявка №{self.pk}"

    @property
    def holds_place(self) -> bool:
        return self.status in self.HOLDING

    # ------------------------------------------------------------------ the life of it
    # Filed as `new` (online, a place held), `awaiting_parent` (in person, a place held) or
    # `waitlisted` (the group full); each transition stamps the time and keeps a reason. The
    # transitions that end an application all take the reason first (services pass them on).

    def _changed(self, reason: str = "") -> None:
        self.status_changed_at = clock.now()
        # The code confirms only an application waiting for the parent, and every transition
        # leaves that state: used, withdrawn, expired or ended, it never works again.
        self.confirm_code_hash = ""
        if reason:
            self.reason = reason

    @transition(
        field=status,
        source=[Status.NEW, Status.AWAITING_PARENT, Status.WAITLISTED],
        target=Status.OFFERED,
    )
    def offer(self) -> None:
        """The provider confirmed, the parent confirmed in person, or a place came free."""
        self._changed()

    @transition(field=status, source=Status.OFFERED, target=Status.ENROLLED)
    def enrol(self) -> None:
        self._changed()

    @transition(
        field=status,
        source=[Status.NEW, Status.AWAITING_PARENT, Status.WAITLISTED],
        target=Status.REJECTED,
    )
    def reject(self, reason: str) -> None:
        self._changed(reason)

    @transition(
        field=status,
        source=[Status.NEW, Status.AWAITING_PARENT, Status.WAITLISTED],
        target=Status.CANCELLED,
    )
    def cancel(self, reason: str = "") -> None:
        self._changed(reason)

    @transition(field=status, source=Status.OFFERED, target=Status.DECLINED)
    def decline(self, reason: str = "") -> None:
        self._changed(reason)

    @transition(
        field=status,
        source=[Status.NEW, Status.AWAITING_PARENT, Status.WAITLISTED, Status.OFFERED],
        target=Status.EXPIRED,
    )
    def expire(self, reason: str = "") -> None:
        """Nobody decided in time, the offer lapsed, or a freed place could not be given."""
        self._changed(reason)

    @transition(field=status, source=Status.ENROLLED, target=Status.TERMINATED)
    def terminate(self, reason: str) -> None:
        self._changed(reason)

    @transition(field=status, source=Status.ENROLLED, target=Status.COMPLETED)
    def complete(self) -> None:
        self._changed()


class Contract(models.Model):
    """The contract of education: parties, group, dates, price and the money split.

    `certificate_kopecks` is reserved in the ledger month by month when the parent accepts
    (one pending transfer per month, see ContractMonth); `copay_kopecks` is the family's part.
    """

    class Status(models.TextChoices):
        OFFERED = "offered", "предложен"
        ACTIVE = "active", "действует"
        COMPLETED = "completed", "завершён"
        TERMINATED = "terminated", "расторгнут"
        DECLINED = "declined", "отклонён родителем"
        EXPIRED = "expired", "истёк срок принятия"

    class Funding(models.TextChoices):
        CERTIFICATE = "certificate", "оплата сертификатом"
        BUDGET = "budget", "бюджетная программа (бесплатно)"

    class TerminatedBy(models.TextChoices):
        PARENT = "parent", "родитель"
        PROVIDER = "provider", "поставщик (отчисление)"
        OPERATOR = "operator", "оператор"

    LIVE = (Status.OFFERED, Status.ACTIVE)

    number = models.CharField("номер", max_length=32, unique=True, null=True, blank=True)
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="contract"
    )
    child = models.ForeignKey("certificates.Child", on_delete=models.PROTECT, related_name="+")
    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.PROTECT, related_name="contracts"
    )
    group = models.ForeignKey("catalog.Group", on_delete=models.PROTECT, related_name="contracts")
    provider = models.ForeignKey(
        "providers.Provider", on_delete=models.PROTECT, related_name="contracts"
    )
    municipality = models.ForeignKey(
        "territory.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    period = models.ForeignKey(
        "financing.FinancingPeriod", on_delete=models.PROTECT, related_name="contracts"
    )
    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contracts"
    )
    funding = models.CharField("источник", max_length=16, choices=Funding.choices)
    starts_on = models.DateField("начало")
    ends_on = models.DateField("окончание")
    price_kopecks = models.BigIntegerField("цена за период договора, коп.")
    normative_kopecks = models.BigIntegerField("нормативная стоимость за период договора, коп.")
    certificate_kopecks = models.BigIntegerField("оплачивается сертификатом, коп.")
    copay_kopecks = models.BigIntegerField("доплата родителя, коп.")
    status = StateField(
        "статус", max_length=16, choices=Status.choices, default=Status.OFFERED, protected=False
    )
    offered_at = models.DateTimeField("предложен", default=clock.now)
    offer_expires_at = models.DateTimeField("принять до")
    accepted_at = models.DateTimeField("принят", null=True, blank=True)
    ended_at = models.DateTimeField("прекращён", null=True, blank=True)
    terminated_by = models.CharField(
        "кем расторгнут", max_length=16, choices=TerminatedBy.choices, blank=True
    )
    termination_reason = models.TextField("причина расторжения", blank=True)

    objects = ContractQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "договор"
        verbose_name_plural = "договоры"
        ordering = ["-offered_at", "-id"]
        indexes = [
            models.Index(fields=["provider", "status"], name="enrol_contract_provider"),
            models.Index(fields=["certificate", "status"], name="enrol_contract_cert"),
            models.Index(fields=["period", "status"], name="enrol_contract_period"),
            # The reports' coverage ("used a certificate"): the certificates with a contract of
            # the municipality in force in a window, read from the index alone (PostgreSQL).
            models.Index(
                fields=["municipality", "certificate"],
                include=["status", "starts_on", "ends_on", "accepted_at", "ended_at"],
                name="enrol_contract_muni_cert",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "group"],
                condition=Q(status__in=["offered", "active"]),
                name="enrolment_one_live_contract_per_child_group",
                violation_error_message="У ребёнка уже есть договор по этой группе.",
            ),
            models.CheckConstraint(
                name="enrolment_contract_money_split",
                condition=Q(
                    certificate_kopecks__gte=0,
                    copay_kopecks__gte=0,
                    price_kopecks=models.F("certificate_kopecks") + models.F("copay_kopecks"),
                ),
            ),
            models.CheckConstraint(
                name="enrolment_contract_dates_ordered",
                condition=Q(ends_on__gte=models.F("starts_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"Договор № {self.number or self.pk}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    # ------------------------------------------------------------------ the life of it
    # Created as an offer; the parent accepts or declines it, or it expires; an active
    # contract is terminated early or completes when its months are over.

    @transition(field=status, source=Status.OFFERED, target=Status.ACTIVE)
    def accept(self) -> None:
        self.accepted_at = clock.now()

    @transition(field=status, source=Status.OFFERED, target=Status.DECLINED)
    def decline(self) -> None:
        self.ended_at = clock.now()

    @transition(field=status, source=Status.OFFERED, target=Status.EXPIRED)
    def expire(self) -> None:
        self.ended_at = clock.now()

    @transition(field=status, source=Status.ACTIVE, target=Status.TERMINATED)
    def terminate(self, *, by: str, reason: str, ended_at: dt.datetime | None = None) -> None:
        """`ended_at` (now if not given) falls on the contract's last day in force: billing
        counts the days up to its date (a certificate's end, an exclusion's date)."""
        self.ended_at = ended_at or clock.now()
        self.terminated_by = by
        self.termination_reason = reason

    @transition(field=status, source=Status.ACTIVE, target=Status.COMPLETED)
    def complete(self) -> None:
        self.ended_at = clock.now()


class ContractMonth(models.Model):
    """One month of a contract: what the certificate and the family pay for it.

    `reservation_id` is the ledger's pending transfer of the month's certificate part (set on
    acceptance); billing posts it, termination voids it.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="months")
    month = models.DateField("месяц (первое число)")
    certificate_kopecks = models.BigIntegerField("сертификатом, коп.")
    copay_kopecks = models.BigIntegerField("доплата, коп.")
    reservation_id = models.PositiveBigIntegerField("резерв в учёте", null=True, blank=True)

    objects = ContractMonthQuerySet.as_manager()

    class Meta:
        verbose_name = "месяц договора"
        verbose_name_plural = "месяцы договора"
        ordering = ["contract", "month"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "month"], name="enrolment_month_unique"),
            models.CheckConstraint(
                name="enrolment_month_amounts_not_negative",
                condition=Q(certificate_kopecks__gte=0, copay_kopecks__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} — {self.month:%m.%Y}"


class ContinuationOffer(models.Model):
    """At a period close: a contract whose group goes on, offered to continue in the next
    period on terms worse for the family (a co-payment appears or grows).

    The contract keeps its place until the family accepts (the months are then added and
    reserved on these terms), declines, or lets `expires_at` pass (the contract then ends at
    the boundary and its place is released).
    """

    class Status(models.TextChoices):
        OFFERED = "offered", "ждёт согласия семьи"
        ACCEPTED = "accepted", "принято, договор продолжен"
        DECLINED = "declined", "семья отказалась"
        EXPIRED = "expired", "истёк срок согласия"

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="continuations")
    period = models.ForeignKey(
        "financing.FinancingPeriod", on_delete=models.PROTECT, related_name="+"
    )
    status = StateField(
        "статус", max_length=16, choices=Status.choices, default=Status.OFFERED, protected=False
    )
    starts_on = models.DateField("продолжение с")
    ends_on = models.DateField("продолжение по")
    price_kopecks = models.BigIntegerField("цена продолжения, коп.")
    normative_kopecks = models.BigIntegerField("нормативная стоимость продолжения, коп.")
    certificate_kopecks = models.BigIntegerField("оплачивается сертификатом, коп.")
    copay_kopecks = models.BigIntegerField("доплата семьи, коп.")
    previous_copay_kopecks = models.BigIntegerField("доплата семьи до сих пор, коп.")
    previous_months = models.PositiveSmallIntegerField("месяцев договора до сих пор")
    certificate_months = models.JSONField("сертификатом по месяцам, коп.")
    copay_months = models.JSONField("доплата по месяцам, коп.")
    offered_at = models.DateTimeField("предложено", default=clock.now)
    expires_at = models.DateTimeField("ответить до")
    decided_at = models.DateTimeField("решено", null=True, blank=True)

    objects = ContinuationOfferQuerySet.as_manager()

    class Meta:
        verbose_name = "предложение продолжить договор"
        verbose_name_plural = "предложения продолжить договор"
        ordering = ["-offered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period"], name="enrolment_one_continuation_per_period"
            ),
            models.CheckConstraint(
                name="enrolment_continuation_money_split",
                condition=Q(
                    certificate_kopecks__gte=0,
                    copay_kopecks__gte=0,
                    price_kopecks=models.F("certificate_kopecks") + models.F("copay_kopecks"),
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Продолжение {self.contract} в периоде {self.period_id}"

    @property
    def months_count(self) -> int:
        return len(self.certificate_months)

    # Offered at the close; the family accepts or declines, or the deadline passes.

    @transition(field=status, source=Status.OFFERED, target=Status.ACCEPTED)
    def accept(self) -> None:
        self.decided_at = clock.now()

    @transition(field=status, source=Status.OFFERED, target=Status.DECLINED)
    def decline(self) -> None:
        self.decided_at = clock.now()

    @transition(field=status, source=Status.OFFERED, target=Status.EXPIRED)
    def expire(self) -> None:
        self.decided_at = clock.now()


class CertificateLookup(AppendOnlyModel):
    """One attempt of provider staff to find a certificate by its number and the child's
    surname (at the look-up page or API, or at an in-person enrolment): who, for which
    provider, of which municipality, when, from where, and what came of it. Written once.

    The surname typed is never stored. The number is stored when it is a certificate of the
    provider's municipality (a hit, or a wrong surname: what guessing looks like); any other
    miss may be a passport number or a СНИЛС typed into the wrong field, so it is not.
    """

    class Outcome(models.TextChoices):
        MATCHED = "matched", "найден"
        WRONG_SURNAME = "wrong_surname", "номер есть, фамилия не совпала"
        UNKNOWN = "unknown", "номера нет в муниципалитете"
        REFUSED = "refused", "отказано: превышен лимит попыток"

    class Purpose(models.TextChoices):
        LOOKUP = "lookup", "проверка сертификата"
        ENROL_PREVIEW = "enrol_preview", "запись лично: условия"
        ENROL = "enrol", "запись лично: заявка"

    MISSES = (Outcome.WRONG_SURNAME, Outcome.UNKNOWN)

    provider = models.ForeignKey(
        "providers.Provider", verbose_name="поставщик", on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField("где", max_length=16, choices=Purpose.choices)
    number = models.CharField("номер сертификата", max_length=10, blank=True)
    outcome = models.CharField("итог", max_length=16, choices=Outcome.choices)

    objects = CertificateLookupQuerySet.as_manager()

    class Meta:
        verbose_name = "поиск сертификата поставщиком"
        verbose_name_plural = "поиски сертификатов поставщиками"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["municipality", "at"], name="enrolment_lookup_mun_at"),
            models.Index(fields=["provider", "at"], name="enrolment_lookup_provider_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.provider_id} {self.outcome}"

    @property
    def matched(self) -> bool:
        return self.outcome == self.Outcome.MATCHED
