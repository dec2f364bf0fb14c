"""Programme ids a municipality kept from a former ПФДО installation."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pfdo.common import clock
from pfdo.compat.querysets import ProgramAliasQuerySet


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
