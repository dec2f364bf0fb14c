"""Read-only API of the action history, scoped by `for_user`."""

from pfdo.audit.api.serializers import ActionLogSerializer
from pfdo.audit.filters import ActionLogFilter
from pfdo.audit.models import ActionLog
from pfdo.common.api.viewsets import ScopedReadOnlyViewSet


class ActionLogViewSet(ScopedReadOnlyViewSet):
    """The action history a user may see: their own actions, plus their scope for operators."""

    model = ActionLog
    serializer_class = ActionLogSerializer
    filterset_class = ActionLogFilter
    permission_map = {"list": "audit.view_actionlog", "retrieve": "audit.view_actionlog"}

    def scope_queryset(self, queryset):
        return queryset.select_related("actor", "on_behalf_of", "municipality")
