"""Read use-cases of the audit log."""

from __future__ import annotations

from pfdo.audit.models import ActionLog, PersonalDataAccess


def actions_for(user, *, own_only: bool = False):
    qs = ActionLog.objects.for_user(user).select_related("actor", "on_behalf_of", "municipality")
    if own_only:
        qs = qs.filter(actor=user)
    return qs


def personal_data_accesses_for(user):
    return PersonalDataAccess.objects.for_user(user).select_related("actor", "municipality")
