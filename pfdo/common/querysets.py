"""The `for_user` convention: every user-facing model's manager says what a user may see."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import models


class ScopedQuerySet(models.QuerySet):
    """Base queryset of user-facing models. Subclasses implement `for_user`.

    Lists and object look-ups in views and viewsets go through `for_user`, so an object a
    user may not see answers 404 exactly like one that does not exist.
    """

    def for_user(self, user) -> ScopedQuerySet:  # pragma: no cover - abstract
        raise NotImplementedError(f"{self.model.__name__} queryset must implement for_user()")


class PublicQuerySet(ScopedQuerySet):
    """Reference data everyone may read (regions, municipalities)."""

    def for_user(self, user) -> PublicQuerySet:
        return self.all()


def scoped_queryset(model, user, *, owner: object = None) -> ScopedQuerySet:
    """`model.objects.for_user(user)`, refusing models that have no `for_user`."""
    if model is None:
        raise ImproperlyConfigured(f"{type(owner).__name__} must set `model`")
    manager = model._default_manager
    if not hasattr(manager, "for_user"):
        raise ImproperlyConfigured(f"{model.__name__} manager has no for_user()")
    return manager.for_user(user)
