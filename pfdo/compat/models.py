"""Programme ids a municipality kept from a former ПФДО installation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import transition

from pfdo.common import clock
from pfdo.common.fsm import StateField
from pfdo.compat.querysets import EnrolmentVerificationQuerySet, ProgramAliasQuerySet


class ProgramAlias(models.Model):
    """A programme's id in the ПФДО installation the municipality moved from.

    The compatibility API shows a programme under its old id and finds it by that id, so links
    into old portals keep working. ПФДО's programme ids are one sequence over all regions, so
    an old id is unique here too; a programme has at most one.
    """

    program = models.OneToOneField(
        "catalog.Program",
        verbose_name="программа",
        on_delete=models.CASCADE,
        related_name="pfdo_alias",
    )
    legacy_id = models.PositiveBigIntegerField("номер программы в ПФДО", unique=True)
    created_at = models.DateTimeField("добавлено", default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="добавил",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ProgramAliasQuerySet.as_manager()

    class Meta:
        verbose_name = "номер программы в ПФДО"
        verbose_name_plural = "номера программ в ПФДО"
        constraints = [
            models.CheckConstraint(
                name="compat_alias_positive", condition=models.Q(legacy_id__gt=0)
            )
        ]

    def __str__(self) -> str:
        return f"{self.legacy_id} → {self.program_id}"


class EnrolmentVerification(models.Model):
    """One public enrolment check made through the ПФДО API v2 (`POST /enrollment-verification`)
    and what the family did with it: which shown enrolments it does not know of, and whether it
    confirmed its e-mail (then those become a report to the municipality's operators).

    It keeps no name, no digits and no e-mail in clear: the two tokens (the answer's
    `confirm_token`, the letter's) and the address are kept as hashes; the enrolments shown
    are kept as contract ids in the order shown (`marks`), for the report only — they never
    leave the server. An unconfirmed check is deleted after `expires_at` (the sweep); a
    confirmed one stays as the report and as a count of the region's statistics.
    """

    class State(models.TextChoices):
        CHECKED = "checked", "проверено"
        EMAIL_SENT = "email_sent", "письмо отправлено"
        CONFIRMED = "confirmed", "почта подтверждена"

    region = models.ForeignKey(
        "territory.Region", verbose_name="регион", on_delete=models.CASCADE, related_name="+"
    )
    # The municipality of the contracts shown (the first, newest one); none shown: null.
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token_hash = models.CharField("хеш токена проверки", max_length=64, unique=True)
    # [{"contract": id or null, "municipality": id or null}, ...]: record_marks' ids 1..n.
    marks = models.JSONField("показанные договоры", default=list, blank=True)
    created_at = models.DateTimeField("создано", default=clock.now)
    expires_at = models.DateTimeField("действует до", db_index=True)
    state = StateField(
        "состояние", max_length=16, choices=State.choices, default=State.CHECKED, protected=False
    )
    # Keyed hash of the address the letter went to (never the address).
    email_hash = models.CharField("хеш адреса почты", max_length=64, blank=True)
    email_token_hash = models.CharField("хеш токена письма", max_length=64, blank=True)
    email_sent_at = models.DateTimeField("письмо отправлено", null=True, blank=True)
    email_confirmed_at = models.DateTimeField("почта подтверждена", null=True, blank=True)
    # record_marks' ids (1..n) the family does not know of.
    fakes = models.JSONField("незнакомые зачисления", default=list, blank=True)
    reported_fakes = models.PositiveSmallIntegerField("незнакомых зачислений", default=0)

    objects = EnrolmentVerificationQuerySet.as_manager()

    class Meta:
        verbose_name = "проверка зачислений (API ПФДО)"
        verbose_name_plural = "проверки зачислений (API ПФДО)"
        constraints = [
            models.UniqueConstraint(
                fields=["email_token_hash"],
                name="compat_verification_email_token",
                condition=~models.Q(email_token_hash=""),
            ),
        ]
        indexes = [
            models.Index(fields=["region", "state"], name="compat_verification_region"),
        ]

    def __str__(self) -> str:
        return f"Проверка зачислений №{self.pk}"

    @transition(field=state, source=[State.CHECKED, State.EMAIL_SENT], target=State.EMAIL_SENT)
    def ask_confirmation(self, *, email_hash: str, token_hash: str, fakes: list[int]) -> None:
        """The family named the enrolments it does not know of and left an address: a letter
        with a new link goes there (an earlier letter's link stops working)."""
        self.email_hash = email_hash
        self.email_token_hash = token_hash
        self.email_sent_at = clock.now()
        self.fakes = fakes
        self.reported_fakes = len(fakes)

    @transition(field=state, source=State.EMAIL_SENT, target=State.CONFIRMED)
    def confirm(self) -> None:
        self.email_confirmed_at = clock.now()
