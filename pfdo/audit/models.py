"""Audit rows: written once by services, never changed or deleted by the application."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from pfdo.audit.querysets import ActionLogQuerySet, PersonalDataAccessQuerySet
from pfdo.common import clock


class AppendOnlyModel(models.Model):
    """Who (actor), when (UTC), where (municipality scope, client address); written once."""

    at = models.DateTimeField("время (UTC)", default=clock.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="кто",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ip = models.GenericIPAddressField("IP-адрес", null=True, blank=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only")


class ActionLog(AppendOnlyModel):
    """Who did what to which object, when (UTC) and from where."""

    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="от имени",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("действие", max_length=64, db_index=True)
    object_type = models.CharField("тип объекта", max_length=100, blank=True)
    object_id = models.CharField("id объекта", max_length=64, blank=True)
    object_repr = models.CharField("объект", max_length=200, blank=True)
    details = models.JSONField("подробности", default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = ActionLogQuerySet.as_manager()

    class Meta:
        verbose_name = "запись журнала действий"
        verbose_name_plural = "журнал действий"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_repr}"


class PersonalDataAccess(AppendOnlyModel):
    """A read of a personal card (child, guardian, user): who looked, at whom, why."""

    subject_type = models.CharField("чья карточка", max_length=100)
    subject_id = models.CharField("id карточки", max_length=64)
    purpose = models.CharField("цель", max_length=64)

    objects = PersonalDataAccessQuerySet.as_manager()

    class Meta:
        verbose_name = "доступ к персональным данным"
        verbose_name_plural = "журнал доступа к персональным данным"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.subject_type}#{self.subject_id} {self.purpose}"
