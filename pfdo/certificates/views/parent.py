"""Pages of the parent's side: online application, the family cabinet, the certificate page."""

from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import TemplateView

from pfdo.accounts.models import Notification
from pfdo.accounts.roles import Role
from pfdo.certificates import selectors, services
from pfdo.certificates.forms.parent import AddChildForm, RegistrationForm
from pfdo.certificates.models import Certificate, Child, SwitchRequest
from pfdo.certificates.views._common import flash_error
from pfdo.common.authz import can
from pfdo.common.errors import DomainError
from pfdo.common.views import ScopedDetailView, ServiceFormView, authorize_page
from pfdo.financing.selectors import current_period
from pfdo.territory import selectors as territory_selectors
from pfdo.territory.models import Municipality

# What the "application filed" page shows (what the applicant typed); kept in this browser's
# session only, so nobody else's e-mail is reachable by a guessed URL.
SESSION_APPLIED = "family_applied"
# Token of each submitted form → its result: a stale page posted again is recognised and
# answered with the first result instead of a second application.
SESSION_DONE = "family_done_forms"
_KEEP_TOKENS = 20


def _remember_submission(request, token: str, result: dict) -> None:
    if not token:
        return
    done = dict(request.session.get(SESSION_DONE, {}))
    done[token] = result
    request.session[SESSION_DONE] = dict(list(done.items())[-_KEEP_TOKENS:])


def _earlier_submission(request) -> dict | None:
    token = request.POST.get("once", "")
    if not token:
        return None
    return request.session.get(SESSION_DONE, {}).get(token)


class ParentRequiredMixin(LoginRequiredMixin):
    """Signed-in users with the parent role; others get 403 (anonymous: the login page)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_role(Role.PARENT):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# ------------------------------------------------------------------ online application


class ApplyView(ServiceFormView):
    """/certificates/apply/: registration and the child's application, no account needed."""

    template_name = "certificates/parent/apply.html"
    form_class = RegistrationForm
    success_url = reverse_lazy("family:applied")

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated:
            if user.has_role(Role.PARENT):
                messages.info(
                    request, "Вы уже вошли в личный кабинет: заявление на ребёнка подаётся здесь."
                )
                return redirect("family:add_child")
            return render(request, "certificates/parent/apply_signed_in.html")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        earlier = _earlier_submission(request)
        if earlier is not None:
            messages.info(
                request, "Это заявление уже отправлено — повторная отправка не создала второго."
            )
            request.session[SESSION_APPLIED] = earlier
            return redirect("family:applied")
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["municipalities"] = (
            Municipality.objects.for_user(self.request.user)
            .active()
            .select_related("region")
            .order_by("name")
        )
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        served = territory_selectors.served_municipality()
        if served is not None and served.is_active:
            initial["municipality"] = served.pk
        return initial

    def perform(self, form):
        return services.register_and_apply(**form.service_kwargs())

    def form_valid(self, form):
        response = super().form_valid(form)
        applied = getattr(self, "result", None)
        if applied is not None:
            # Only what the applicant typed: the page is the same for a new family, a known
            # e-mail and a known child (the number and the login go by letter).
            summary = dataclasses.asdict(applied)
            self.request.session[SESSION_APPLIED] = summary
            _remember_submission(self.request, form.cleaned_data.get("once", ""), summary)
        return response


class AppliedView(TemplateView):
    """What happens next, with the application number and the future login."""

    template_name = "certificates/parent/applied.html"

    def get(self, request, *args, **kwargs):
        if not request.session.get(SESSION_APPLIED):
            return redirect("family:apply")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["applied"] = self.request.session[SESSION_APPLIED]
        return ctx


class AddChildView(ParentRequiredMixin, ServiceFormView):
    """/cabinet/parent/children/new/: a signed-in parent applies for one more child."""

    template_name = "certificates/parent/add_child.html"
    form_class = AddChildForm
    success_url = reverse_lazy("family:home")

    def post(self, request, *args, **kwargs):
        earlier = _earlier_submission(request)
        if earlier is not None:
            messages.info(
                request,
                f"Заявление №{earlier['number']} уже подано — повторная отправка "
                "не создала второго.",
            )
            return redirect("family:home")
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        user = self.request.user
        kwargs["municipalities"] = (
            Municipality.objects.for_user(user)
            .active()
            .filter(pk__in=user.municipality_ids_for(Role.PARENT))
            .order_by("name")
        )
        return kwargs

    def perform(self, form):
        return services.apply_online(actor=self.request.user, **form.service_kwargs())

    def form_valid(self, form):
        response = super().form_valid(form)
        application = getattr(self, "result", None)
        if application is not None:
            _remember_submission(
                self.request, form.cleaned_data.get("once", ""), {"number": application.pk}
            )
            where = " и на почту" if self.request.user.email else ""
            messages.success(
                self.request,
                f"Заявление №{application.pk} подано. Оператор проверит его в течение нескольких "
                f"рабочих дней; решение придёт в уведомления{where}.",
            )
        return response


# ----------------------------------------------------------------------------- cabinet


class FamilyHomeView(ParentRequiredMixin, TemplateView):
    """/cabinet/parent/children/: every child, its certificate and money, or its application."""

    template_name = "certificates/parent/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["family"] = selectors.family_overview(user)
        ctx["unread_count"] = Notification.objects.for_user(user).unread().count()
        return ctx


class CertificateDetailView(ParentRequiredMixin, ScopedDetailView):
    """/cabinet/parent/certificates/<pk>/: plain words, the balance, every movement, switch.

    Only the parent's own children's certificates (an official who is also a parent sees
    other families' certificates on the operator's pages, not here).
    """

    model = Certificate
    template_name = "certificates/parent/certificate.html"
    context_object_name = "certificate"

    def scope_queryset(self, queryset):
        own = Child.objects.of_parent(self.request.user).values("pk")
        return queryset.filter(child__in=own).select_related("child", "municipality")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        certificate, user = self.object, self.request.user
        period = current_period(certificate.municipality)
        money = selectors.balance(certificate, period) if period is not None else None
        switches = list(
            SwitchRequest.objects.for_user(user)
            .filter(certificate=certificate)
            .order_by("-created_at", "-pk")[:5]
        )
        waiting = next((s for s in switches if s.status == SwitchRequest.Status.WAITING), None)
        refusal = services.switch_refusal(certificate)
        ctx.update(
            period=period,
            money=money if certificate.is_financing else None,
            explanation=selectors.explain(certificate, money),
            movements=selectors.statement(certificate),
            switches=switches,
            waiting_switch=waiting,
            # Why a switch cannot be asked for comes from the service that would refuse it.
            switch_refusal=refusal,
            can_request_switch=(
                refusal is None and can(user, "certificates.request_switch", certificate)
            ),
        )
        return ctx


class _CertificateActionView(ParentRequiredMixin, View):
    def certificate(self, pk: int) -> Certificate:
        own = Child.objects.of_parent(self.request.user).values("pk")
        certificate = get_object_or_404(
            Certificate.objects.for_user(self.request.user).filter(child__in=own), pk=pk
        )
        return authorize_page(self.request.user, "certificates.request_switch", certificate)

    def back(self, pk: int):
        return redirect(reverse("family:certificate", args=[pk]) + "#switch")


class RequestSwitchView(_CertificateActionView):
    """POST: ask to turn the accounting certificate into a financing one."""

    def post(self, request, pk):
        certificate = self.certificate(pk)
        try:
            switch = services.request_switch(actor=request.user, certificate=certificate)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            if switch.status == SwitchRequest.Status.FULFILLED:
                messages.success(
                    request, "Сертификат переведён в сертификат финансирования, номинал начислен."
                )
            else:
                messages.info(
                    request,
                    "Мест в квоте сейчас нет: запрос поставлен в очередь. Мы сообщим, когда "
                    "место освободится.",
                )
        return self.back(pk)


class WithdrawSwitchView(_CertificateActionView):
    """POST: withdraw the waiting switch request of the certificate."""

    def post(self, request, pk):
        certificate = self.certificate(pk)
        waiting = (
            SwitchRequest.objects.for_user(request.user)
            .filter(certificate=certificate, status=SwitchRequest.Status.WAITING)
            .first()
        )
        if waiting is None:
            messages.info(request, "Ожидающего запроса на перевод нет.")
            return self.back(pk)
        try:
            services.withdraw_switch(actor=request.user, request=waiting)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, "Запрос на перевод отозван.")
        return self.back(pk)
