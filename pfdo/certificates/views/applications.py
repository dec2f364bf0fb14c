"""The operator's application pages: the queue, one application and its decisions, and a
family registered at the desk."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from pfdo.accounts.models import User
from pfdo.audit import services as audit
from pfdo.certificates import selectors, services
from pfdo.certificates.filters import QueueFilter
from pfdo.certificates.forms.operator import FamilyRegistrationForm, RejectForm
from pfdo.certificates.models import Certificate, CertificateApplication
from pfdo.certificates.views._common import (
    OPERATOR_TEMPLATES,
    OfficialMixin,
    flash_error,
    hand_over,
    official_application,
)
from pfdo.common.errors import DomainError, ValidationFailed
from pfdo.common.views import ScopedListView, ServiceFormView, apply_domain_error
from pfdo.financing.selectors import manageable_municipalities


class QueueView(OfficialMixin, ScopedListView):
    """Applications for the operator: open ones newest first by default, searchable by number
    or the child's name, in pages, with a duplicate flag per row."""

    model = CertificateApplication
    template_name = OPERATOR_TEMPLATES + "queue.html"
    context_object_name = "applications"

    def get_queryset(self):
        qs = (
            super()
            .get_queryset()
            .filter(municipality__in=self.municipalities)
            .select_related("child", "municipality", "parent")
        )
        self.filterset = QueueFilter(self.request.GET or None, queryset=qs)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        page = list(ctx["applications"])
        flags = selectors.duplicate_flags(page)
        ctx["rows"] = [(a, flags.get(a.pk, 0)) for a in page]
        ctx["filter_form"] = self.filterset.form
        ctx["many_municipalities"] = len({a.municipality_id for a in page}) > 1
        return ctx


def _application_context(request, application, reject_form=None) -> dict:
    child = application.child
    audit.log_personal_data_access(
        actor=request.user,
        subject=child,
        purpose="certificate_application",
        municipality=application.municipality,
    )
    return {
        "application": application,
        "child": child,
        "guardianships": child.guardianships.select_related("user"),
        "duplicates": selectors.duplicates_of(application),
        "managed_ids": set(manageable_municipalities(request.user).values_list("pk", flat=True)),
        "certificate": Certificate.objects.filter(application=application).first(),
        "reject_form": reject_form or RejectForm(),
        "duplicate_rejection": services.DUPLICATE_REJECTION,
    }


class ApplicationView(OfficialMixin, View):
    def get(self, request, pk):
        application = official_application(request, pk)
        return render(
            request,
            OPERATOR_TEMPLATES + "application.html",
            _application_context(request, application),
        )


class VerifyApplicationView(OfficialMixin, View):
    def post(self, request, pk):
        application = official_application(request, pk)
        try:
            services.verify_application(actor=request.user, application=application)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, "Документы проверены: заявление ждёт решения.")
        return redirect("certificates:application", pk=application.pk)


class ApproveApplicationView(OfficialMixin, View):
    def post(self, request, pk):
        application = official_application(request, pk)
        try:
            issued = services.approve_application(actor=request.user, application=application)
        except DomainError as exc:
            flash_error(request, exc)
            return redirect("certificates:application", pk=application.pk)
        hand_over(request, issued)
        messages.success(
            request,
            f"Выдан {issued.certificate.get_type_display()} № {issued.certificate.number_display}.",
        )
        return redirect("certificates:print", pk=issued.certificate.pk)


class RejectApplicationView(OfficialMixin, View):
    def post(self, request, pk):
        application = official_application(request, pk)
        form = RejectForm(request.POST)
        if form.is_valid():
            try:
                services.reject_application(
                    actor=request.user, application=application, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, "Заявление отклонено; родитель получил уведомление.")
                return redirect("certificates:queue")
        ctx = _application_context(request, application, reject_form=form)
        return render(request, OPERATOR_TEMPLATES + "application.html", ctx)


class RejectDuplicateView(OfficialMixin, View):
    """One click on a flagged duplicate: rejected with the neutral reason the applicant reads."""

    def post(self, request, pk):
        application = official_application(request, pk)
        try:
            services.reject_duplicate(actor=request.user, application=application)
        except DomainError as exc:
            flash_error(request, exc)
            return redirect("certificates:application", pk=application.pk)
        messages.success(
            request,
            f"Заявление № {application.pk} отклонено как дубликат; заявителю отправлено "
            "уведомление без подробностей.",
        )
        return redirect("certificates:queue")


class RegisterFamilyView(OfficialMixin, ServiceFormView):
    """A family registered at the desk: one service call, all or nothing."""

    template_name = OPERATOR_TEMPLATES + "register.html"
    form_class = FamilyRegistrationForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["municipalities"] = self.municipalities
        kwargs["users"] = User.objects.for_user(self.request.user)
        return kwargs

    def perform(self, form):
        municipality = form.chosen_municipality()
        if municipality is None:
            raise ValidationFailed(fields={"municipality": "Выберите муниципалитет."})
        data = form.cleaned_data
        return services.register_family(
            actor=self.request.user,
            municipality=municipality,
            child=form.child(),
            parent=data.get("parent_login"),
            new_parent=form.new_parent(),
            relation=data["relation"],
            wants_financing=data["wants_financing"],
            approve=data["approve_now"],
        )

    def get_success_url(self):
        registered = self.result
        if registered.issued is not None:
            hand_over(self.request, registered.issued)
            messages.success(self.request, "Заявление зарегистрировано и одобрено.")
            return reverse("certificates:print", args=[registered.issued.certificate.pk])
        messages.success(
            self.request, "Заявление зарегистрировано: проверьте документы и примите решение."
        )
        return reverse("certificates:application", args=[registered.application.pk])
