"""Children, their legal representatives, certificate applications, certificates."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django_fsm import transition
from simple_history.models import HistoricalRecords

from pfdo.certificates.querysets import (
    CertificateApplicationQuerySet,
    CertificateQuerySet,
    ChildQuerySet,
    GuardianshipQuerySet,
    ImportFileQuerySet,
    NumberSequenceQuerySet,
    SwitchRequestQuerySet,
)
from pfdo.common import clock
from pfdo.common.fsm import StateField

# A certificate serves children from 5 to 18 (domain.md: ages 5–18), ages kept in months.
MIN_AGE_MONTHS = 5 * 12
MAX_AGE_MONTHS = 18 * 12


def age_in_months(birth_date: dt.date, on: dt.date) -> int:
    """Whole months lived by `on` (a birthday month counts once the day is reached)."""
    months = (on.year - birth_date.year) * 12 + (on.month - birth_date.month)
    if on.day < birth_date.day:
        months -= 1
    return months


def eighteenth_birthday(birth_date: dt.date) -> dt.date:
    try:
        return birth_date.replace(year=birth_date.year + 18)
    except ValueError:  # born on 29 February
        return dt.date(birth_date.year + 18, 3, 1)


class Child(models.Model):
    """A child's card. СНИЛС and the document number are for the operator only.

    Duplicates are found by keyed hashes (`snils_hash`, `document_hash`), so the duplicate
    search never compares or logs the raw numbers.
    """

    class Sex(models.TextChoices):
        MALE = "m", "мужской"
        FEMALE = "f", "женский"

    class DocumentType(models.TextChoices):
        BIRTH_CERTIFICATE = "birth_certificate", "свидетельство о рождении"
        PASSPORT = "passport", "паспорт гражданина РФ"

    last_name = models.CharField("фамилия", max_length=150)
    first_name = models.CharField("имя", max_length=150)
    patronymic = models.CharField("отчество", max_length=150, blank=True)
    birth_date = models.DateField("дата рождения")
    sex = models.CharField("пол", max_length=1, choices=Sex.choices)
    document_type = models.CharField(
        "документ",
        max_length=32,
        choices=DocumentType.choices,
        default=DocumentType.BIRTH_CERTIFICATE,
    )
    document_number = models.CharField("серия и номер документа", max_length=40)
    snils = models.CharField("СНИЛС", max_length=11, help_text="11 цифр без разделителей")
    snils_hash = models.CharField(max_length=64, db_index=True, editable=False)
    document_hash = models.CharField(max_length=64, db_index=True, editable=False)
    # The public enrolment check's key: a keyed hash of the surname, the first name and the
    # last 4 digits of the document (validators.child_check_hash), kept current wherever the
    # card changes and re-keyed with the others (`rekey_pd_hashes`).
    check_hash = models.CharField(max_length=64, db_index=True, editable=False, blank=True)
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет проживания",
        on_delete=models.PROTECT,
        related_name="children",
    )
    has_disability = models.BooleanField("ОВЗ", default=False)
    guardians = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Guardianship",
        related_name="children",
        verbose_name="законные представители",
    )
    created_at = models.DateTimeField("внесён", default=clock.now)

    objects = ChildQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["snils", "document_number", "check_hash"])

    class Meta:
        verbose_name = "ребёнок"
        verbose_name_plural = "дети"
        ordering = ["last_name", "first_name", "patronymic", "birth_date"]
        indexes = [
            # The reports' coverage joins every certificate to its child's birth date: an
            # index-only scan of this (PostgreSQL; elsewhere a plain index on id) reads a few
            # MB instead of the whole card table.
            models.Index(fields=["id"], include=["birth_date"], name="cert_child_birth_date"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    @property
    def short_name(self) -> str:
        return f"{self.last_name} {self.first_name}"

    def age_months(self, on: dt.date | None = None) -> int:
        return age_in_months(self.birth_date, on or clock.today())

    def age_years(self, on: dt.date | None = None) -> int:
        return self.age_months(on) // 12

    @property
    def snils_display(self) -> str:
        s = self.snils
        return f"{s[:3]}-{s[3:6]}-{s[6:9]} {s[9:]}" if len(s) == 11 else s


class Guardianship(models.Model):
    """A legal representative of a child: who may apply, see the certificate and enrol."""

    class Relation(models.TextChoices):
        MOTHER = "mother", "мать"
        FATHER = "father", "отец"
        GUARDIAN = "guardian", "опекун (попечитель)"

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="guardianships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="guardianships"
    )
    relation = models.CharField(
        "кем приходится", max_length=16, choices=Relation.choices, default=Relation.MOTHER
    )
    created_at = models.DateTimeField(default=clock.now)

    objects = GuardianshipQuerySet.as_manager()

    class Meta:
        verbose_name = "законный представитель"
        verbose_name_plural = "законные представители"
        constraints = [
            models.UniqueConstraint(fields=["child", "user"], name="certificates_guardian_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.child}"


class CertificateApplication(models.Model):
    """One application per child for a certificate; the operator verifies and decides."""

    class Status(models.TextChoices):
        APPLIED = "applied", "подано"
        VERIFIED = "verified", "проверено"
        APPROVED = "approved", "одобрено, сертификат выдан"
        REJECTED = "rejected", "отклонено"

    class Channel(models.TextChoices):
        ONLINE = "online", "через личный кабинет"
        IN_PERSON = "in_person", "лично у оператора"
        IMPORT = "import", "загрузка из файла"

    OPEN = (Status.APPLIED, Status.VERIFIED)

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="applications")
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        on_delete=models.PROTECT,
        related_name="certificate_applications",
    )
    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="законный представитель",
        on_delete=models.PROTECT,
        related_name="certificate_applications",
    )
    channel = models.CharField("способ подачи", max_length=16, choices=Channel.choices)
    wants_financing = models.BooleanField(
        "нужен сертификат финансирования",
        default=True,
        help_text="Снимите, если нужны только бесплатные (бюджетные) программы.",
    )
    status = StateField(
        "статус", max_length=16, choices=Status.choices, default=Status.APPLIED, protected=False
    )
    reason = models.TextField("причина отказа", blank=True)
    # Why an online application names a child the region already knows (a live certificate or
    # an open application with the same СНИЛС or document). For the operator only: the
    # applicant was answered as anyone else, so the public form tells nobody who is registered.
    duplicate_reason = models.CharField("отмечено как дубликат", max_length=300, blank=True)
    created_at = models.DateTimeField("подано", default=clock.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="внёс",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("решение принято", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="решение принял",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CertificateApplicationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "заявление на сертификат"
        verbose_name_plural = "заявления на сертификат"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(status__in=["applied", "verified"]),
                name="certificates_one_open_application_per_child",
                violation_error_message="Заявление на этого ребёнка уже подано.",
            ),
            models.CheckConstraint(
                name="certificates_rejection_has_reason",
                condition=~Q(status="rejected") | ~Q(reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Заявление №{self.pk} — {self.child}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    # The life of an application: applied → verified → approved, or rejected while open.

    @transition(field=status, source=Status.APPLIED, target=Status.VERIFIED)
    def verify(self) -> None: ...

    @transition(field=status, source=OPEN, target=Status.APPROVED)
    def approve(self, *, by) -> None:
        self.decided_at = clock.now()
        self.decided_by = by

    @transition(field=status, source=OPEN, target=Status.REJECTED)
    def reject(self, *, reason: str, by) -> None:
        self.reason = reason
        self.decided_at = clock.now()
        self.decided_by = by


class Certificate(models.Model):
    """The child's certificate: a 10-digit number, a type and a status.

    Its money lives in the ledger (one account per financing period); this row never holds
    a balance.
    """

    class Type(models.TextChoices):
        FINANCING = "financing", "сертификат финансирования"
        ACCOUNTING = "accounting", "сертификат учёта"

    class Status(models.TextChoices):
        ACTIVE = "active", "действует"
        SUSPENDED = "suspended", "приостановлен"
        CANCELLED = "cancelled", "аннулирован"
        EXPIRED = "expired", "истёк (18 лет)"

    LIVE = (Status.ACTIVE, Status.SUSPENDED)

    number = models.CharField("номер", max_length=10, unique=True)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="certificates")
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    application = models.OneToOneField(
        CertificateApplication,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificate",
    )
    type = models.CharField("тип", max_length=16, choices=Type.choices)
    type_reason = models.CharField("почему этот тип", max_length=300, blank=True)
    status = StateField(
        "статус", max_length=16, choices=Status.choices, default=Status.ACTIVE, protected=False
    )
    status_reason = models.CharField("причина статуса", max_length=300, blank=True)
    issued_at = models.DateTimeField("выдан", default=clock.now, db_index=True)
    valid_until = models.DateField("действует до")
    status_changed_at = models.DateTimeField("статус изменён", null=True, blank=True)

    objects = CertificateQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "сертификат"
        verbose_name_plural = "сертификаты"
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["municipality", "type", "status"], name="cert_muni_type_status")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(status__in=["active", "suspended"]),
                name="certificates_one_live_certificate_per_child",
                violation_error_message="У ребёнка уже есть действующий сертификат.",
            ),
            models.CheckConstraint(
                name="certificates_number_ten_chars",
                condition=Exact(Length("number"), 10),
            ),
        ]

    def __str__(self) -> str:
        return f"Сертификат № {self.number}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    @property
    def is_financing(self) -> bool:
        return self.type == self.Type.FINANCING

    @property
    def number_display(self) -> str:
        n = self.number
        return f"{n[:2]} {n[2:4]} {n[4:]}"

    # The life of a certificate: active ⇄ suspended; either ends cancelled or expired.
    # Each change keeps its reason and moment.

    def _changed(self, reason: str) -> None:
        self.status_reason = reason
        self.status_changed_at = clock.now()

    @transition(field=status, source=Status.ACTIVE, target=Status.SUSPENDED)
    def suspend(self, *, reason: str) -> None:
        self._changed(reason)

    @transition(field=status, source=Status.SUSPENDED, target=Status.ACTIVE)
    def reactivate(self, *, reason: str) -> None:
        self._changed(reason)

    @transition(field=status, source=LIVE, target=Status.CANCELLED)
    def cancel(self, *, reason: str) -> None:
        self._changed(reason)

    @transition(field=status, source=LIVE, target=Status.EXPIRED)
    def expire(self, *, reason: str) -> None:
        self._changed(reason)


class NumberSequence(models.Model):
    """The last certificate sequence number used in a municipality (row-locked on issue)."""

    municipality = models.OneToOneField(
        "territory.Municipality", on_delete=models.CASCADE, related_name="certificate_sequence"
    )
    last_value = models.PositiveIntegerField(default=0)

    objects = NumberSequenceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="certificates_sequence_six_digits", condition=Q(last_value__lte=999_999)
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}: {self.last_value}"


class SwitchRequest(models.Model):
    """A parent asks to turn an accounting certificate into a financing one.

    Fulfilled at once while the quota has room; otherwise it waits, first come first
    served, until a financing certificate is cancelled or the quota grows.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "ожидает места в квоте"
        FULFILLED = "fulfilled", "выполнен"
        WITHDRAWN = "withdrawn", "отозван"
        REJECTED = "rejected", "отклонён"

    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="switch_requests"
    )
    municipality = models.ForeignKey(
        "territory.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    status = StateField(
        "статус", max_length=16, choices=Status.choices, default=Status.WAITING, protected=False
    )
    reason = models.CharField("комментарий", max_length=300, blank=True)
    created_at = models.DateTimeField("подан", default=clock.now, db_index=True)
    decided_at = models.DateTimeField("решён", null=True, blank=True)

    objects = SwitchRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "запрос на перевод в сертификат финансирования"
        verbose_name_plural = "запросы на перевод в сертификат финансирования"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"],
                condition=Q(status="waiting"),
                name="certificates_one_waiting_switch",
                violation_error_message="Запрос на перевод уже подан и ожидает.",
            )
        ]

    def __str__(self) -> str:
        return f"Запрос на перевод {self.certificate}"

    # A request waits, then is fulfilled, withdrawn by the parent, or rejected.

    @transition(field=status, source=Status.WAITING, target=Status.FULFILLED)
    def fulfil(self) -> None:
        self.decided_at = clock.now()

    @transition(field=status, source=Status.WAITING, target=Status.WITHDRAWN)
    def withdraw(self) -> None:
        self.decided_at = clock.now()

    @transition(field=status, source=Status.WAITING, target=Status.REJECTED)
    def reject(self, *, reason: str) -> None:
        self.reason = reason
        self.decided_at = clock.now()


class ImportFile(models.Model):
    """A checked import file handed to its background job: kept in the database so a worker
    on any machine reads it, and deleted when the import ends (children's personal data is
    not kept longer than the import needs it)."""

    municipality = models.ForeignKey(
        "territory.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=4)  # csv | xlsx
    data = models.BinaryField()
    created_at = models.DateTimeField(default=clock.now)

    objects = ImportFileQuerySet.as_manager()

    def __str__(self) -> str:
        return f"import file #{self.pk} ({self.kind})"
