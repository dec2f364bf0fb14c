"""Pages of experts and operators: the assessment queue, certification decisions, registries
and the recomputation of normative costs."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from pfdo.catalog import services
from pfdo.catalog.filters import ManagedProgramFilter
from pfdo.catalog.forms import AssessmentForm, DecisionForm, RegistryForm
from pfdo.catalog.models import Program
from pfdo.catalog.views.cabinet import (
    ManageFormView,
    ManageMixin,
    ProgramObjectMixin,
    detail_url,
)
from pfdo.common.views import ScopedListView, authorize_page
from pfdo.territory.models import Municipality


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
            back_url=detail_url(self.program),
        )
        return ctx


class OperatorProgramsView(ManageMixin, ScopedListView):
    model = Program
    permission = "catalog.list_municipality_programs"
    template_name = "catalog/manage/operator_list.html"
    context_object_name = "programs"

    def filter_data(self):
        data = self.request.GET.copy()
        data.setdefault("status", Program.Certification.SUBMITTED)  # the decisions waiting
        return data

    def scope_queryset(self, queryset):
        self.filterset = ManagedProgramFilter(
            self.filter_data(), queryset=queryset.of_operator(self.request.user)
        )
        return self.filterset.qs.select_related("provider").order_by("submitted_at", "name", "id")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["statuses"] = Program.Certification.choices
        ctx["status"] = self.filterset.data["status"]
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
            back_url=detail_url(self.program),
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
            back_url=detail_url(self.program),
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
            authorize_page(request.user, "catalog.recompute_normative", municipality)
            total += services.recompute_normative_costs(
                actor=request.user, municipality=municipality
            )
        messages.success(request, f"Нормативная стоимость пересчитана: модулей — {total}.")
        return redirect("catalog_manage:operator_programs")
