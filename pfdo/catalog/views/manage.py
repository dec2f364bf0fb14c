"""Pages of catalogue management: a provider's programmes, modules, groups and schedules,
the experts' queue and the operator's certification and registry decisions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from pfdo.catalog import selectors, services
from pfdo.catalog.forms import (
    AssessmentForm,
    DecisionForm,
    GroupForm,
    ModuleForm,
    PhotoForm,
    ProgramForm,
    RegistryForm,
    ScheduleEntryForm,
)
from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
from pfdo.common.errors import DomainError
from pfdo.common.views import ScopedListView, ServiceFormView, apply_domain_error
from pfdo.providers.models import Provider
from pfdo.territory.models import Municipality


def _scoped(model, user, pk):
    """An object the user may see (404 otherwise, as if it did not exist)."""
    return get_object_or_404(model.objects.for_user(user), pk=pk)


def _require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied


def _detail_url(program) -> str:
    return reverse("catalog_manage:program_detail", args=[program.pk])


class ManageMixin(LoginRequiredMixin):
    """Login first; then the object via `for_user` (404) and the permission (403)."""

    permission: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.setup_objects(request, **kwargs)
        _require(request.user, self.permission, self.permission_object())
        return super().dispatch(request, *args, **kwargs)

    def setup_objects(self, request, **kwargs) -> None:
        pass

    def permission_object(self):
        return None


class ProgramObjectMixin(ManageMixin):
    def setup_objects(self, request, **kwargs):
        self.program = _scoped(Program, request.user, kwargs["pk"])

    def permission_object(self):
        return self.program

    def get_success_url(self):
        return _detail_url(self.program)

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


# ---------------------------------------------------------------- provider: programmes


class MyProgramsView(ManageMixin, ScopedListView):
    model = Program
    permission = "catalog.list_own_programs"
    template_name = "catalog/manage/program_list.html"
    context_object_name = "programs"

    def scope_queryset(self, queryset):
        return (
            selectors.with_ready_group(queryset.of_provider_staff(self.request.user))
            .select_related("provider")
            .prefetch_related("modules")
            .order_by("archived_at", "name", "id")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["rows"] = [(p, services.publication_problems(p)) for p in ctx["programs"]]
        return ctx


class ProgramCreateView(ManageMixin, ManageFormView):
    permission = "catalog.list_own_programs"
    template_name = "catalog/manage/form.html"
    form_class = ProgramForm
    success_message = "Программа создана. Добавьте модули и группы — чего не хватает, видно ниже."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["providers"] = Provider.objects.for_user(self.request.user).staffed_by(
            self.request.user
        )
        return kwargs

    def perform(self, form):
        provider = form.cleaned_data["provider"]
        _require(self.request.user, "catalog.add_program", provider)
        return services.create_program(
            actor=self.request.user, provider=provider, **form.service_kwargs()
        )

    def get_success_url(self):
        return _detail_url(self.result)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(title="Новая программа", submit_label="Создать программу")
        ctx["back_url"] = reverse("catalog_manage:my_programs")
        return ctx


class ProgramEditView(ProgramObjectMixin, ManageFormView):
    permission = "catalog.change_program"
    template_name = "catalog/manage/form.html"
    form_class = ProgramForm
    success_message = "Карточка программы сохранена."

    def get_initial(self):
        return ProgramForm.initial_for(self.program)

    def perform(self, form):
        return services.update_program(
            actor=self.request.user, program=self.program, **form.service_kwargs()
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(title=f"Карточка: {self.program.name}", submit_label="Сохранить")
        ctx["back_url"] = _detail_url(self.program)
        return ctx


class ProgramDetailView(ProgramObjectMixin, TemplateView):
    """The programme as its provider, expert or operator manages it."""

    permission = "catalog.view_program_management"
    template_name = "catalog/manage/program_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, program = self.request.user, self.program
        modules = list(
            program.modules.prefetch_related("groups__schedule").select_related("normative_period")
        )
        can_edit = user.has_perm("catalog.change_program", program)
        for module in modules:
            for group in module.groups.all():
                group.entry_form = _entry_form(group)
        ctx.update(
            modules=modules,
            problems=services.publication_problems(program),
            card_problems=services.card_problems(program),
            can_edit=can_edit,
            can_publish=user.has_perm("catalog.publish_program", program),
            can_submit=user.has_perm("catalog.submit_program", program),
            can_assess=user.has_perm("catalog.assess_program", program),
            can_decide=user.has_perm("catalog.decide_certification", program),
            can_set_registry=user.has_perm("catalog.set_registry", program),
            can_return=user.has_perm("catalog.return_to_draft", program),
            assessments=program.assessments.for_user(user).select_related("expert"),
        )
        return ctx


# Transitions a button on the programme page may ask for: (permission, service, message).
ACTIONS = {
    "submit": ("catalog.submit_program", services.submit, "Программа отправлена на сертификацию."),
    "publish": ("catalog.publish_program", services.publish, "Программа опубликована."),
    "unpublish": (
        "catalog.publish_program",
        services.unpublish,
        "Программа снята с публикации.",
    ),
    "open-enrolment": (
        "catalog.publish_program",
        services.open_enrolment,
        "Запись на программу открыта.",
    ),
    "close-enrolment": (
        "catalog.publish_program",
        services.close_enrolment,
        "Запись на программу закрыта.",
    ),
    "archive": ("catalog.publish_program", services.archive, "Программа отправлена в архив."),
    "return-to-draft": (
        "catalog.return_to_draft",
        services.return_to_draft,
        "Программа возвращена в черновик.",
    ),
}


class ProgramActionView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk, action):
        program = _scoped(Program, request.user, pk)
        if action not in ACTIONS:
            raise PermissionDenied
        perm, service, message = ACTIONS[action]
        _require(request.user, perm, program)
        try:
            service(actor=request.user, program=program)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, message)
        return redirect(_detail_url(program))


# ---------------------------------------------------------------- modules, groups, schedule


class ProgramPhotoView(ProgramObjectMixin, ManageFormView):
    permission = "catalog.change_program"
    template_name = "catalog/manage/form.html"
    form_class = PhotoForm
    success_message = "Фото сохранено."

    def perform(self, form):
        photo = None if form.cleaned_data.get("remove") else form.cleaned_data["photo"]
        return services.set_program_photo(
            actor=self.request.user, program=self.program, photo=photo
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(title=f"Фото: {self.program.name}", submit_label="Сохранить", multipart=True)
        ctx["back_url"] = _detail_url(self.program)
        return ctx


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
        ctx["back_url"] = _detail_url(self.program)
        return ctx


class ModuleObjectMixin(ManageMixin):
    permission = "catalog.change_program"

    def setup_objects(self, request, **kwargs):
        self.module = _scoped(Module, request.user, kwargs["pk"])
        self.program = self.module.program

    def permission_object(self):
        return self.module

    def get_success_url(self):
        return _detail_url(self.program)


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
            back_url=_detail_url(self.program),
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
            back_url=_detail_url(self.program),
            program=self.program,
        )
        return ctx


class GroupObjectMixin(ManageMixin):
    permission = "catalog.change_program"

    def setup_objects(self, request, **kwargs):
        self.group = _scoped(Group, request.user, kwargs["pk"])
        self.program = self.group.module.program

    def permission_object(self):
        return self.group

    def get_success_url(self):
        return _detail_url(self.program)


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
            back_url=_detail_url(self.program),
            program=self.program,
        )
        return ctx


def _entry_form(group, data=None) -> ScheduleEntryForm:
    # Each group's form posts to its own address; ids stay unique on the page.
    return ScheduleEntryForm(data, auto_id=f"id_g{group.pk}_%s")


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
    return HttpResponseRedirect(_detail_url(group.module.program) + f"#group-{group.pk}")


class ScheduleAddView(GroupObjectMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        form = _entry_form(self.group, request.POST)
        if form.is_valid():
            try:
                services.add_schedule_entry(
                    actor=request.user, group=self.group, **form.service_kwargs()
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return _schedule_response(request, self.group, _entry_form(self.group))
        # 200 for htmx, so the block with the field messages is swapped in.
        return _schedule_response(request, self.group, form)


class ScheduleDeleteView(ManageMixin, View):
    http_method_names = ["post"]
    permission = "catalog.change_program"

    def setup_objects(self, request, **kwargs):
        self.entry = _scoped(ScheduleEntry, request.user, kwargs["pk"])
        self.group = self.entry.group

    def permission_object(self):
        return self.entry

    def post(self, request, pk):
        form = _entry_form(self.group)
        try:
            services.delete_schedule_entry(actor=request.user, entry=self.entry)
        except DomainError as exc:
            form.add_error(None, exc.message)
        return _schedule_response(request, self.group, form)


# ---------------------------------------------------------------- experts and operators


class ExpertQueueView(ManageMixin, ScopedListView):
    model = Program
    permission = "catalog.view_expert_queue"
    template_name = "catalog/manage/expert_queue.html"
    context_object_name = "programs"

    def scope_queryset(self, queryset):
        return (
            queryset.awaiting_assessment(self.request.user)
            .select_related("provider")
            .order_by("submitted_at", "id")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        done = set(
            user.assessments.filter(program__in=[p.pk for p in ctx["programs"]]).values_list(
                "program_id", "round"
            )
        )
        ctx["rows"] = [(p, (p.pk, p.submission_round) in done) for p in ctx["programs"]]
        ctx["my_assessments"] = user.assessments.select_related("program")[:20]
        return ctx


class AssessView(ProgramObjectMixin, ManageFormView):
    permission = "catalog.assess_program"
    template_name = "catalog/manage/form.html"
    form_class = AssessmentForm
    success_message = "Оценка сохранена."

    def perform(self, form):
        return services.assess(
            actor=self.request.user, program=self.program, **form.service_kwargs()
        )

    def get_success_url(self):
        return reverse("catalog_manage:expert_queue")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=f"Экспертная оценка: {self.program.name}",
            submit_label="Сохранить оценку",
            back_url=_detail_url(self.program),
        )
        return ctx


class OperatorProgramsView(ManageMixin, ScopedListView):
    model = Program
    permission = "catalog.list_municipality_programs"
    template_name = "catalog/manage/operator_list.html"
    context_object_name = "programs"

    def scope_queryset(self, queryset):
        user = self.request.user
        if not user.is_superuser:
            queryset = queryset.filter(municipality_id__in=user.municipality_ids_for("operator"))
        status = self.request.GET.get("status", "submitted")
        if status in Program.Certification.values:
            queryset = queryset.filter(certification_status=status)
        return queryset.select_related("provider").order_by("submitted_at", "name", "id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["statuses"] = Program.Certification.choices
        ctx["status"] = self.request.GET.get("status", "submitted")
        return ctx


class DecisionView(ProgramObjectMixin, ManageFormView):
    permission = "catalog.decide_certification"
    template_name = "catalog/manage/form.html"
    form_class = DecisionForm
    success_message = "Решение по сертификации принято."

    def perform(self, form):
        decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
        actor, program = self.request.user, self.program
        if decision == DecisionForm.CERTIFY:
            return services.certify(actor=actor, program=program, comment=reason)
        if decision == DecisionForm.REJECT:
            return services.reject_certification(actor=actor, program=program, reason=reason)
        return services.return_to_draft(actor=actor, program=program, reason=reason)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=f"Решение по сертификации: {self.program.name}",
            submit_label="Принять решение",
            back_url=_detail_url(self.program),
            assessments=self.program.assessments.filter(
                round=self.program.submission_round
            ).select_related("expert"),
        )
        return ctx


class RegistryView(ProgramObjectMixin, ManageFormView):
    permission = "catalog.set_registry"
    template_name = "catalog/manage/form.html"
    form_class = RegistryForm
    success_message = "Реестры программы сохранены."

    def get_initial(self):
        return {
            "budget_registry": self.program.budget_registry,
            "paid_only": self.program.paid_only,
        }

    def perform(self, form):
        return services.set_registries(
            actor=self.request.user, program=self.program, **form.service_kwargs()
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=f"Реестры: {self.program.name}",
            submit_label="Сохранить",
            back_url=_detail_url(self.program),
        )
        return ctx


class RecomputeView(ManageMixin, View):
    """The operator recomputes normative costs after the period's parameters change."""

    http_method_names = ["post"]
    permission = "catalog.list_municipality_programs"

    def post(self, request):
        municipalities = Municipality.objects.filter(
            id__in=request.user.municipality_ids_for("operator")
        )
        total = 0
        for municipality in municipalities:
            _require(request.user, "catalog.recompute_normative", municipality)
            total += services.recompute_normative_costs(
                actor=request.user, municipality=municipality
            )
        messages.success(request, f"Нормативная стоимость пересчитана: модулей — {total}.")
        return redirect("catalog_manage:operator_programs")
