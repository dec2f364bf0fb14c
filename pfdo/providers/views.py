"""Pages of the provider registry: the public application and provider page, the operator's
registry and card, the provider admin's «Моя организация», and requests to change the bank
details (the admin files, the operator of the municipality decides)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import ListView, TemplateView
from rules.contrib.views import PermissionRequiredMixin

from pfdo.audit import selectors as audit_selectors
from pfdo.common.authz import can
from pfdo.common.choices import Direction
from pfdo.common.errors import DomainError
from pfdo.common.views import (
    ScopedDetailView,
    ScopedListView,
    ServiceFormView,
    apply_domain_error,
    authorize_page,
)
from pfdo.providers import selectors, services
from pfdo.providers.filters import FORM_CHOICES, BankDetailsChangeFilter, ProviderFilter
from pfdo.providers.forms import (
    BankDetailsRejectForm,
    BankDetailsRequestForm,
    DecisionForm,
    EnrolmentLimitForm,
    ExclusionForm,
    ProviderApplicationForm,
    ProviderProfileForm,
    StaffForm,
)
from pfdo.providers.models import (
    LOCKED_AFTER_INCLUSION,
    PROFILE_FIELDS,
    BankDetailsChange,
    Provider,
    ProviderStaff,
)
from pfdo.territory import selectors as territory_selectors
from pfdo.territory.models import Municipality

_APPLIED_KEY = "providers_applied"


# ---------------------------------------------------------------- public


class ApplyView(ServiceFormView):
    """Anyone applies for inclusion in the registry; the first staff user is created with it."""

    template_name = "providers/apply.html"
    form_class = ProviderApplicationForm

    def perform(self, form):
        provider = services.apply_provider(
            actor=self.request.user,
            municipality=form.cleaned_data["municipality"],
            profile=form.profile(),
            first_staff=form.first_staff(),
        )
        # The applicant cannot read an under-review card yet: keep what the next page says.
        self.request.session[_APPLIED_KEY] = {
            "short_name": provider.short_name,
            "municipality": provider.municipality.name,
            "login": form.cleaned_data["staff_login"],
        }
        return provider

    def get_success_url(self):
        return reverse("providers:apply_done")


class ApplyDoneView(View):
    def get(self, request):
        applied = request.session.get(_APPLIED_KEY)
        if not applied:
            return redirect("providers:apply")
        return render(request, "providers/apply_done.html", {"applied": applied})


class PublicRegistryView(ListView):
    """/providers/: the public registry of providers — search by name, filters by form and
    by direction, the municipality this site serves first (as the catalogue)."""

    template_name = "providers/public_list.html"
    context_object_name = "providers"
    paginate_by = 30

    def filter_data(self):
        data = self.request.GET.copy()
        if not data:
            served = territory_selectors.served_municipality()
            if served:
                data["municipality"] = served.code
        # The public page filters by the public statuses only (its queryset), never by status.
        data.pop("status", None)
        return data

    def get_queryset(self):
        self.filterset = ProviderFilter(self.filter_data(), queryset=selectors.public_registry())
        if not self.filterset.is_valid():
            return self.filterset.queryset.none()
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = self.filterset.form
        ctx.update(
            form=form,
            values={
                name: form.data.get(name, "")
                for name in ("search", "municipality", "legal_form", "direction")
            },
            filter_errors=[
                (form.fields[name].label if name in form.fields else "", messages)
                for name, messages in form.errors.items()
            ],
            forms=FORM_CHOICES,
            directions=Direction.choices,
            municipalities=Municipality.objects.for_user(self.request.user)
            .filter(is_active=True)
            .order_by("name"),
            query_string=self._query_without_page(),
        )
        return ctx

    def _query_without_page(self) -> str:
        data = self.filterset.form.data.copy()
        data.pop("page", None)
        return data.urlencode()


class PublicProviderView(ScopedDetailView):
    """The provider's public page: only providers in the registry (or being checked)."""

    model = Provider
    template_name = "providers/public_detail.html"
    context_object_name = "provider"

    def scope_queryset(self, queryset):
        return queryset.public().select_related("municipality")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["programs"] = selectors.published_programs(self.object)
        ctx["legal_address_visible"] = can(
            self.request.user, "providers.view_legal_address", self.object
        )
        return ctx


# ---------------------------------------------------------------- operator


class RegistryView(PermissionRequiredMixin, ScopedListView):
    model = Provider
    permission_required = "providers.list_registry"
    template_name = "providers/registry.html"
    context_object_name = "providers"

    def get_queryset(self):
        self.filterset = ProviderFilter(
            self.request.GET or None, queryset=selectors.registry_for(self.request.user)
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_form"] = self.filterset.form
        return ctx


def _registry_provider(request, pk: int) -> Provider:
    """A provider of the official's registry (404 outside it), and the right to decide (403)."""
    authorize_page(request.user, "providers.list_registry")
    provider = get_object_or_404(selectors.registry_for(request.user), pk=pk)
    authorize_page(request.user, "providers.decide", provider)
    return provider


# Decision buttons: service, button label, whether the reason is required.
DECISIONS = {
    "include": (services.include, "Включить в реестр", False),
    "reject": (services.reject, "Отказать во включении", True),
    "mark_needs_check": (services.mark_needs_check, "Отправить на проверку", True),
    "reinstate": (services.reinstate, "Вернуть в реестр", False),
    "exclude": (services.exclude, "Исключить из реестра", True),
}
# A decision that asks more than the reason has its own form.
DECISION_FORMS = {"exclude": ExclusionForm}


def _decision_form(move: str, data=None) -> DecisionForm:
    """The form of one decision on the provider's card. Several sit on one page, so each has
    ids of its own ("reason-include"), which the shared field template and Django's
    aria-describedby build on."""
    return DECISION_FORMS.get(move, DecisionForm)(
        data, reason_required=DECISIONS[move][2], auto_id=f"%s-{move}"
    )


def _card_context(request, provider: Provider, *, decision=None, limit_forms=None) -> dict:
    decisions = []
    available = {t.name for t in provider.get_available_status_transitions()}
    for move, (_, label, reason_required) in DECISIONS.items():
        if move not in available or (move == "include" and provider.duplicate_reason):
            continue
        form = decision[1] if decision and decision[0] == move else _decision_form(move)
        decisions.append({"move": move, "label": label, "required": reason_required, "form": form})
    limit_forms = limit_forms or {}
    limits = [
        (
            period,
            limit,
            limit_forms.get(period.pk)
            or EnrolmentLimitForm(
                initial={"period": period.pk, "max_children": limit.max_children if limit else None}
            ),
        )
        for period, limit in selectors.enrolment_limits(provider)
    ]
    for period, _, form in limits:
        form.auto_id = f"limit-{period.pk}-%s"  # one form per row: ids of its own
    actions = audit_selectors.actions_for(request.user).filter(
        object_type=Provider._meta.label_lower, object_id=str(provider.pk)
    )[:30]
    return {
        "provider": provider,
        "decisions": decisions,
        "limits": limits,
        "staff": selectors.staff_of(provider),
        "actions": actions,
        "duplicate_rejection": services.DUPLICATE_REJECTION,
        "bank_changes": selectors.bank_changes_of(provider)[:5],
    }


class OperatorProviderView(LoginRequiredMixin, View):
    def get(self, request, pk):
        provider = _registry_provider(request, pk)
        return render(request, "providers/operator_detail.html", _card_context(request, provider))


class DecisionView(LoginRequiredMixin, View):
    def post(self, request, pk, move):
        if move not in DECISIONS:
            raise Http404
        provider = _registry_provider(request, pk)
        service, label, _ = DECISIONS[move]
        form = _decision_form(move, request.POST)
        if form.is_valid():
            try:
                service(actor=request.user, provider=provider, **form.decision())
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request, f"Готово: «{label}». Статус: {provider.get_status_display()}."
                )
                return redirect("providers:operator_detail", pk=provider.pk)
        ctx = _card_context(request, provider, decision=(move, form))
        if not any(d["move"] == move for d in ctx["decisions"]):
            messages.error(request, " ".join(form.non_field_errors()) or "Действие недоступно.")
        return render(request, "providers/operator_detail.html", ctx)


class RejectDuplicateView(LoginRequiredMixin, View):
    """One click on a flagged duplicate: refused with the neutral reason its applicant reads."""

    def post(self, request, pk):
        provider = _registry_provider(request, pk)
        try:
            services.reject_duplicate(actor=request.user, provider=provider)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("providers:operator_detail", pk=provider.pk)
        messages.success(
            request, f"Заявка «{provider.short_name}» отклонена как дубликат; заявитель уведомлён."
        )
        return redirect(reverse("providers:registry") + "?status=under_review")


class EnrolmentLimitView(LoginRequiredMixin, View):
    def post(self, request, pk):
        provider = _registry_provider(request, pk)
        authorize_page(request.user, "providers.set_enrolment_limit", provider)
        form = EnrolmentLimitForm(request.POST)
        period_by_pk = {p.pk: p for p, _ in selectors.enrolment_limits(provider)}
        if form.is_valid():
            period = period_by_pk.get(form.cleaned_data["period"])
            if period is None:
                raise Http404
            try:
                services.set_enrolment_limit(
                    actor=request.user,
                    provider=provider,
                    period=period,
                    max_children=form.cleaned_data["max_children"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, f"Лимит зачисления на «{period.name}» сохранён.")
                return redirect("providers:operator_detail", pk=provider.pk)
        ctx = _card_context(request, provider, limit_forms={form.cleaned_data.get("period"): form})
        return render(request, "providers/operator_detail.html", ctx)


# ---------------------------------------------------------------- the provider's own cabinet


class OrganisationMixin(LoginRequiredMixin):
    """The signed-in user's organisation; `permission` is checked against it (403)."""

    permission = "providers.view_own_organisation"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.staff_row = selectors.staff_row_of(request.user)
        self.provider = self.staff_row.provider if self.staff_row else None
        if self.provider is None:
            # Staff by role whose organisation is gone (switched off everywhere): say so.
            if can(request.user, "providers.view_own_organisation"):
                return render(request, "providers/organisation_none.html")
            raise PermissionDenied
        authorize_page(request.user, self.permission, self.provider)
        return super().dispatch(request, *args, **kwargs)


class OrganisationView(OrganisationMixin, TemplateView):
    template_name = "providers/organisation.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx.update(
            provider=self.provider,
            is_admin=can(user, "providers.change_provider", self.provider),
            staff=selectors.staff_of(self.provider),
            staff_form=StaffForm(),
            pending_bank_change=selectors.bank_changes_of(self.provider)
            .filter(status=BankDetailsChange.Status.PENDING)
            .first(),
        )
        return ctx


class OrganisationEditView(OrganisationMixin, ServiceFormView):
    permission = "providers.change_provider"
    template_name = "providers/organisation_edit.html"
    form_class = ProviderProfileForm
    success_message = "Карточка организации сохранена."

    def _locked(self):
        return LOCKED_AFTER_INCLUSION if self.provider.identity_locked else ()

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["locked"] = self._locked()
        kwargs["bank_locked"] = self.provider.bank_details_locked
        kwargs["initial"] = {name: getattr(self.provider, name) for name in PROFILE_FIELDS}
        return kwargs

    def perform(self, form):
        changes = {n: v for n, v in form.profile().items() if n not in self._locked()}
        return services.update_profile(
            actor=self.request.user, provider=self.provider, changes=changes
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["provider"] = self.provider
        return ctx

    def get_success_url(self):
        return reverse("providers:organisation")


class StaffAddView(OrganisationMixin, View):
    """The new staff member's one-time password is rendered in this response only."""

    permission = "providers.manage_staff"

    def post(self, request):
        form = StaffForm(request.POST)
        if form.is_valid():
            try:
                row, issued = services.add_staff(
                    actor=request.user,
                    provider=self.provider,
                    staff=form.new_staff(),
                    is_admin=form.cleaned_data["is_admin"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return render(
                    request,
                    "providers/staff_issued.html",
                    {"provider": self.provider, "person": row.user, "issued_password": issued},
                )
        ctx = {
            "provider": self.provider,
            "is_admin": True,
            "staff": selectors.staff_of(self.provider),
            "staff_form": form,
        }
        return render(request, "providers/organisation.html", ctx)


class StaffDeactivateView(OrganisationMixin, View):
    permission = "providers.manage_staff"

    def post(self, request, staff_pk):
        row = get_object_or_404(
            ProviderStaff.objects.for_user(request.user).filter(provider=self.provider),
            pk=staff_pk,
        )
        try:
            services.deactivate_staff(actor=request.user, staff=row)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Сотрудник {row.user} отключён.")
        return redirect("providers:organisation")


class ResubmitView(OrganisationMixin, View):
    permission = "providers.change_provider"

    def post(self, request):
        try:
            services.resubmit(actor=request.user, provider=self.provider)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Заявка подана повторно и ждёт решения оператора.")
        return redirect("providers:organisation")


# ---------------------------------------------------------------- bank details


class OrganisationBankView(OrganisationMixin, View):
    """The admin's page of the bank details: what payments go to now, the request waiting
    for the operator (to withdraw), a form for a new one, and the requests so far."""

    permission = "providers.request_bank_change"
    template_name = "providers/organisation_bank.html"

    def _render(self, request, form=None, status=200):
        refusal = services.bank_request_refusal(self.provider)
        ctx = {
            "provider": self.provider,
            "changes": selectors.bank_changes_of(self.provider),
            "refusal": refusal,
            "form": form or (BankDetailsRequestForm() if refusal is None else None),
        }
        return render(request, self.template_name, ctx, status=status)

    def get(self, request):
        return self._render(request)

    def post(self, request):
        form = BankDetailsRequestForm(request.POST)
        if form.is_valid():
            try:
                services.request_bank_change(
                    actor=request.user,
                    provider=self.provider,
                    details=form.details(),
                    comment=form.cleaned_data["comment"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    "Заявка подана. Реквизиты сменятся, когда её подтвердит оператор "
                    "муниципалитета; до тех пор оплата идёт по прежним.",
                )
                return redirect("providers:organisation_bank")
        return self._render(request, form)


class OrganisationBankWithdrawView(OrganisationMixin, View):
    permission = "providers.request_bank_change"

    def post(self, request, pk):
        change = get_object_or_404(
            BankDetailsChange.objects.for_user(request.user).filter(provider=self.provider), pk=pk
        )
        try:
            services.withdraw_bank_change(actor=request.user, change=change)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Заявка на смену реквизитов отозвана.")
        return redirect("providers:organisation_bank")


class BankQueueView(PermissionRequiredMixin, ScopedListView):
    """The operator's queue (pending first); the payer and the region see it too."""

    model = BankDetailsChange
    permission_required = "providers.review_bank_changes"
    template_name = "providers/bank_queue.html"
    context_object_name = "changes"

    def get_queryset(self):
        data = self.request.GET.copy()
        data.setdefault("status", BankDetailsChange.Status.PENDING)
        self.filterset = BankDetailsChangeFilter(
            data, queryset=selectors.bank_change_queue(self.request.user, status=None)
        )
        rows = self.filterset.qs
        if self.filterset.form.cleaned_data.get("status") == BankDetailsChange.Status.PENDING:
            return rows.order_by("filed_at", "pk")
        return rows

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_form"] = self.filterset.form
        return ctx


def _bank_change(request, pk: int) -> BankDetailsChange:
    """A request the user may see (404 otherwise)."""
    authorize_page(request.user, "providers.review_bank_changes")
    change = get_object_or_404(selectors.bank_change_queue(request.user, status=None), pk=pk)
    authorize_page(request.user, "providers.view_bank_change", change)
    return change


def _bank_change_page(request, change, *, reject_form=None, status=200):
    ctx = {
        "change": change,
        "provider": change.provider,
        "can_decide": change.is_pending
        and can(request.user, "providers.decide_bank_change", change),
        "reject_form": reject_form or BankDetailsRejectForm(),
        "can_open_card": can(request.user, "providers.decide", change.provider),
    }
    return render(request, "providers/bank_change.html", ctx, status=status)


class BankChangeView(LoginRequiredMixin, View):
    def get(self, request, pk):
        return _bank_change_page(request, _bank_change(request, pk))


class BankChangeApproveView(LoginRequiredMixin, View):
    def post(self, request, pk):
        change = _bank_change(request, pk)
        authorize_page(request.user, "providers.decide_bank_change", change)
        try:
            services.approve_bank_change(actor=request.user, change=change)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"Реквизиты поставщика «{change.provider.short_name}» изменены; плательщик "
                "получил уведомление.",
            )
        return redirect("providers:bank_change", pk=change.pk)


class BankChangeRejectView(LoginRequiredMixin, View):
    def post(self, request, pk):
        change = _bank_change(request, pk)
        authorize_page(request.user, "providers.decide_bank_change", change)
        form = BankDetailsRejectForm(request.POST)
        if form.is_valid():
            try:
                services.reject_bank_change(
                    actor=request.user, change=change, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                if not exc.fields:  # decided meanwhile: the form is gone, say why
                    messages.error(request, exc.message)
                    return redirect("providers:bank_change", pk=change.pk)
                apply_domain_error(form, exc)
            else:
                messages.success(request, "Заявка отклонена; поставщик получил уведомление.")
                return redirect("providers:bank_change", pk=change.pk)
        return _bank_change_page(request, change, reject_form=form)
