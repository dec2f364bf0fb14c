"""Pages of a provider's programmes: the list, the card, its photo, the programme page and
its transition buttons."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from pfdo.catalog import selectors, services
from pfdo.catalog.forms import PhotoForm, ProgramForm
from pfdo.catalog.models import Program
from pfdo.catalog.views.cabinet import (
    ManageFormView,
    ManageMixin,
    ProgramObjectMixin,
    detail_url,
    entry_form,
    scoped,
)
from pfdo.common.authz import can
from pfdo.common.errors import DomainError
from pfdo.common.views import ScopedListView, authorize_page
from pfdo.providers.models import Provider


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
        authorize_page(self.request.user, "catalog.add_program", provider)
        return services.create_program(
            actor=self.request.user, provider=provider, **form.service_kwargs()
        )

    def get_success_url(self):
        return detail_url(self.result)

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
        ctx["back_url"] = detail_url(self.program)
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
        can_edit = can(user, "catalog.change_program", program)
        for module in modules:
            for group in module.groups.all():
                group.entry_form = entry_form(group)
        ctx.update(
            modules=modules,
            problems=services.publication_problems(program),
            card_problems=services.card_problems(program),
            can_edit=can_edit,
            can_publish=can(user, "catalog.publish_program", program),
            can_submit=can(user, "catalog.submit_program", program),
            can_assess=can(user, "catalog.assess_program", program),
            can_decide=can(user, "catalog.decide_certification", program),
            can_set_registry=can(user, "catalog.set_registry", program),
            can_return=can(user, "catalog.return_to_draft", program),
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
        program = scoped(Program, request.user, pk)
        if action not in ACTIONS:
            raise PermissionDenied
        perm, service, message = ACTIONS[action]
        authorize_page(request.user, perm, program)
        try:
            service(actor=request.user, program=program)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, message)
        return redirect(detail_url(program))


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
        ctx["back_url"] = detail_url(self.program)
        return ctx
