"""Pages of the audit log: the action history of the user's scope."""

from __future__ import annotations

from rules.contrib.views import PermissionRequiredMixin

from pfdo.audit import selectors
from pfdo.audit.filters import ActionLogFilter
from pfdo.audit.models import ActionLog
from pfdo.common.views import ScopedListView


class ActionLogListView(PermissionRequiredMixin, ScopedListView):
    model = ActionLog
    permission_required = "audit.view_scope_actionlog"
    template_name = "audit/action_list.html"
    context_object_name = "actions"

    def get_queryset(self):
        self.filterset = ActionLogFilter(
            self.request.GET or None, queryset=selectors.actions_for(self.request.user)
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter"] = self.filterset
        return ctx
