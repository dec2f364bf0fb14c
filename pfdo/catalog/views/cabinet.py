"""Shared ground of the catalogue management pages (provider, expert, operator): the object
the user may see, the permission asked through `authorize`, forms that call one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from pfdo.catalog.forms import ScheduleEntryForm
from pfdo.catalog.models import Program
from pfdo.common.errors import DomainError
from pfdo.common.views import ServiceFormView, apply_domain_error, authorize_page


def scoped(model, user, pk):
    """An object the user may see (404 otherwise, as if it did not exist)."""
    return get_object_or_404(model.objects.for_user(user), pk=pk)


def detail_url(program: Program) -> str:
    return reverse("catalog_manage:program_detail", args=[program.pk])


def entry_form(group, data=None) -> ScheduleEntryForm:
    # Each group's form posts to its own address; ids stay unique on the page.
    return ScheduleEntryForm(data, auto_id=f"id_g{group.pk}_%s")


class ManageMixin(LoginRequiredMixin):
    """Login first; then the object via `for_user` (404) and the permission (403)."""

    permission: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.setup_objects(request, **kwargs)
        authorize_page(request.user, self.permission, self.permission_object())
        return super().dispatch(request, *args, **kwargs)

    def setup_objects(self, request, **kwargs) -> None:
        pass

    def permission_object(self):
        return None


class ProgramObjectMixin(ManageMixin):
    def setup_objects(self, request, **kwargs):
        self.program = scoped(Program, request.user, kwargs["pk"])

    def permission_object(self):
        return self.program

    def get_success_url(self):
        return detail_url(self.program)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["program"] = self.program
        return ctx


class ManageFormView(ServiceFormView):
    """ServiceFormView whose form renames the service's field names to its own."""

    def form_valid(self, form):
        try:
            self.result = self.perform(form)
        except DomainError as exc:
            apply_domain_error(form, form.aliased(exc))
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())
