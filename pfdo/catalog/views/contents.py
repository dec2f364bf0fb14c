"""Pages of a programme's contents: modules, groups and their weekly lessons."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views import View

from pfdo.catalog import services
from pfdo.catalog.forms import GroupForm, ModuleForm
from pfdo.catalog.models import Group, Module, ScheduleEntry
from pfdo.catalog.views.cabinet import (
    ManageFormView,
    ManageMixin,
    ProgramObjectMixin,
    detail_url,
    entry_form,
    scoped,
)
from pfdo.common.errors import DomainError
from pfdo.common.views import apply_domain_error


class ModuleCreateView(ProgramObjectMixin, ManageFormView):
    permission = "catalog.change_program"
    template_name = "catalog/manage/form.html"
    form_class = ModuleForm
    success_message = "Модуль добавлен, нормативная стоимость рассчитана."

    def perform(self, form):
        return services.add_module(
            actor=self.request.user, program=self.program, **form.service_kwargs()
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(title=f"Новый модуль: {self.program.name}", submit_label="Добавить модуль")
        ctx["back_url"] = detail_url(self.program)
        return ctx


class ModuleObjectMixin(ManageMixin):
    permission = "catalog.change_program"

    def setup_objects(self, request, **kwargs):
        self.module = scoped(Module, request.user, kwargs["pk"])
        self.program = self.module.program

    def permission_object(self):
        return self.module

    def get_success_url(self):
        return detail_url(self.program)


class ModuleEditView(ModuleObjectMixin, ManageFormView):
    template_name = "catalog/manage/form.html"
    form_class = ModuleForm
    success_message = "Модуль сохранён."

    def get_initial(self):
        return ModuleForm.initial_for(self.module)

    def perform(self, form):
        return services.update_module(
            actor=self.request.user, module=self.module, **form.service_kwargs()
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=f"Модуль «{self.module.name}»",
            submit_label="Сохранить",
            back_url=detail_url(self.program),
            program=self.program,
        )
        return ctx


class ModuleDeleteView(ModuleObjectMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            services.delete_module(actor=request.user, module=self.module)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Модуль удалён.")
        return redirect(self.get_success_url())


class GroupCreateView(ModuleObjectMixin, ManageFormView):
    template_name = "catalog/manage/form.html"
    form_class = GroupForm
    success_message = "Группа добавлена. Добавьте занятия в расписание."

    def get_initial(self):
        return {"address": self.program.address, "enrolment_open": True}

    def perform(self, form):
        return services.add_group(
            actor=self.request.user, module=self.module, **form.service_kwargs()
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=f"Новая группа модуля «{self.module.name}»",
            submit_label="Добавить группу",
            back_url=detail_url(self.program),
            program=self.program,
        )
        return ctx


class GroupObjectMixin(ManageMixin):
    permission = "catalog.change_program"

    def setup_objects(self, request, **kwargs):
        self.group = scoped(Group, request.user, kwargs["pk"])
        self.program = self.group.module.program

    def permission_object(self):
        return self.group

    def get_success_url(self):
        return detail_url(self.program)


class GroupEditView(GroupObjectMixin, ManageFormView):
    template_name = "catalog/manage/form.html"
    form_class = GroupForm
    success_message = "Группа сохранена."

    def get_initial(self):
        return GroupForm.initial_for(self.group)

    def perform(self, form):
        return services.update_group(
            actor=self.request.user, group=self.group, **form.service_kwargs()
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=f"Группа «{self.group.name}»",
            submit_label="Сохранить",
            back_url=detail_url(self.program),
            program=self.program,
        )
        return ctx


def _schedule_response(request, group, form):
    """htmx: the group's schedule block (with field messages); otherwise back to the page."""
    if request.htmx:
        group.entry_form = form
        return render(
            request,
            "catalog/manage/program_detail.html#group-schedule",
            {"group": group, "can_edit": True},
        )
    if form.errors:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return HttpResponseRedirect(detail_url(group.module.program) + f"#group-{group.pk}")


class ScheduleAddView(GroupObjectMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        form = entry_form(self.group, request.POST)
        if form.is_valid():
            try:
                services.add_schedule_entry(
                    actor=request.user, group=self.group, **form.service_kwargs()
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return _schedule_response(request, self.group, entry_form(self.group))
        # 200 for htmx, so the block with the field messages is swapped in.
        return _schedule_response(request, self.group, form)


class ScheduleDeleteView(ManageMixin, View):
    http_method_names = ["post"]
    permission = "catalog.change_program"

    def setup_objects(self, request, **kwargs):
        self.entry = scoped(ScheduleEntry, request.user, kwargs["pk"])
        self.group = self.entry.group

    def permission_object(self):
        return self.entry

    def post(self, request, pk):
        form = entry_form(self.group)
        try:
            services.delete_schedule_entry(actor=request.user, entry=self.entry)
        except DomainError as exc:
            form.add_error(None, exc.message)
        return _schedule_response(request, self.group, form)
