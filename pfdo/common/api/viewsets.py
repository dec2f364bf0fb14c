"""Base viewsets: the queryset always comes from the model's `for_user`."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework import mixins, viewsets

from pfdo.common.api.permissions import RulesPermission


class ScopedViewSetMixin:
    """Lists and object look-ups go through `model.objects.for_user(request.user)`.

    Subclasses set `model` (not `queryset`) and `permission_map`; optionally
    `scope_queryset(qs)` to add select_related/ordering.
    """

    model = None
    permission_classes = [RulesPermission]
    permission_map: dict[str, str | None] = {}

    def get_queryset(self):
        if self.model is None:
            raise ImproperlyConfigured(f"{type(self).__name__} must set `model`")
        manager = self.model._default_manager
        if not hasattr(manager, "for_user"):
            raise ImproperlyConfigured(f"{self.model.__name__} manager has no for_user()")
        return self.scope_queryset(manager.for_user(self.request.user))

    def scope_queryset(self, queryset):
        return queryset


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """List and retrieve; writes are explicit actions that call a service."""
