"""Base viewsets: the queryset always comes from the model's `for_user`."""

from __future__ import annotations

from rest_framework import mixins, viewsets

from pfdo.common.api.permissions import RulesPermission
from pfdo.common.querysets import scoped_queryset


class ScopedViewSetMixin:
    """Lists and object look-ups go through `model.objects.for_user(request.user)`.

    Subclasses set `model` (not `queryset`) and `permission_map`; optionally
    `scope_queryset(qs)` to add select_related/ordering.
    """

    model = None
    permission_classes = [RulesPermission]
    permission_map: dict[str, str | None] = {}

    def get_queryset(self):
        return self.scope_queryset(scoped_queryset(self.model, self.request.user, owner=self))

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
