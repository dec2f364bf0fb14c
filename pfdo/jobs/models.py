"""A background job's row: the source of truth of what was asked and how far it got."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from pfdo.accounts.roles import Role
from pfdo.common import clock
from pfdo.common.querysets import ScopedQuerySet


class JobQuerySet(ScopedQuerySet):
    def for_user(self, user):
        # A job is seen by whoever started it (its result may name providers and sums of
        # their municipality) and by the officials of its municipality (operator, payer: a
        # second payer's click joins the first one's month run and must show it); the
        # system's own jobs (no author, no municipality) by superusers only.
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        officials = user.municipality_ids_for(Role.OPERATOR, Role.PAYER)
        return self.filter(Q(created_by=user) | Q(municipality_id__in=officials))

    def active(self):
        return self.filter(status__in=Job.ACTIVE)


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "В очереди"
        RUNNING = "running", "Выполняется"
        DONE = "done", "Готово"
        FAILED = "failed", "Не выполнено"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField("вид", max_length=60)
    # What makes two requests the same job (the kind's handler decides: "vorkuta:2026-10").
    key = models.CharField("ключ", max_length=200, blank=True)
    params = models.JSONField("параметры", default=dict, blank=True)
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="кто запустил",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        "состояние", max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress_done = models.PositiveIntegerField("сделано", default=0)
    progress_total = models.PositiveIntegerField("всего", default=0)
    result = models.JSONField("итог", default=dict, blank=True)
    error = models.TextField("ошибка", blank=True)
    attempts = models.PositiveSmallIntegerField("попыток", default=0)
    created_at = models.DateTimeField("создано", default=clock.now, db_index=True)
    started_at = models.DateTimeField("начато", null=True, blank=True)
    finished_at = models.DateTimeField("закончено", null=True, blank=True)
    # Moved on by the running job's progress; a running job whose heartbeat stops is found
    # by the sweep and run again (every handler is safe to run again).
    heartbeat_at = models.DateTimeField("последний признак жизни", null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = "фоновое задание"
        verbose_name_plural = "фоновые задания"
        ordering = ["-created_at", "-id"]
        constraints = [
            # One waiting or running job per kind and key: a second click, a second payer or
            # a repeated API call joins the job already there.
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=Q(status__in=["queued", "running"]),
                name="jobs_one_active_per_key",
            ),
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")) | Q(progress_total=0),
                name="jobs_progress_within_total",
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="jobs_status_heartbeat")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, 100 * self.progress_done // self.progress_total)
