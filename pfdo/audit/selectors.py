"""Read use-cases of the audit log."""

from __future__ import annotations

from pfdo.audit.models import ActionLog


def actions_for(user, *, own_only: bool = False):
    qs = ActionLog.objects.for_user(user).select_related("actor", "on_behalf_of", "municipality")
    if own_only:
        qs = qs.filter(actor=user)
    return qs
