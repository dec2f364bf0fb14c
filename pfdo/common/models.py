"""Shared-kernel tables: remembered answers of mutating API calls (Idempotency-Key)."""

from __future__ import annotations

from django.db import models

from pfdo.common import clock
from pfdo.common.querysets import ScopedQuerySet


class IdempotencyQuerySet(ScopedQuerySet):
    def for_user(self, user):
        # Never listed to anyone: read only by the middleware, by scope and key.
        return self.none()


class IdempotencyRecord(models.Model):
    """The first answer to a mutating API call made with an `Idempotency-Key` header.

    `scope` is a hash of the caller's credentials (token, session or address), so one
    caller can never replay another's answer; `fingerprint` is a hash of the method, path
    and body, so the same key with a different request is refused (409).
    `status_code` is NULL while the first call is still running.
    """

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    objects = IdempotencyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="common_idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'выполняется'})"
