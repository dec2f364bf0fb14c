"""A model's first history row (simple_history's "+"), written without simple_history's
per-save work.

simple_history's post_save builds a new manager class on every save (its descriptor calls
`from_queryset` each time) and looks the user up in the request — ~1.8 ms of Python. On the
rush's hot path that time is spent holding the group's row lock, so the filing saves its new
row with the hook off (`insert_without_history`) and makes the same row here (`created_row`),
its historical model and tracked fields read once per process.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


def _historical(model: type[models.Model]):
    cached = model.__dict__.get("_pfdo_historical")
    if cached is None:
        descriptor_owner = getattr(model, model._meta.simple_history_manager_attribute)
        historical = descriptor_owner.model
        cached = (historical, tuple(f.attname for f in historical.tracked_fields))
        model._pfdo_historical = cached
    return cached


def created_row(instance: models.Model, *, user) -> models.Model:
    """The "+" history row of `instance` just inserted (by `user`, the one who made it),
    unsaved: as simple_history's hook would write it, minus the hook's per-call cost."""
    historical, attnames = _historical(type(instance))
    return historical(
        history_date=timezone.now(),
        history_type="+",
        history_user_id=getattr(user, "pk", None),
        history_change_reason=None,
        **{name: getattr(instance, name) for name in attnames},
    )


def insert_without_history(instance: models.Model) -> models.Model:
    """INSERT `instance` with simple_history's hook off (write `created_row` yourself)."""
    instance.skip_history_when_saving = True
    try:
        instance.save(force_insert=True)
    finally:
        del instance.skip_history_when_saving
    return instance
