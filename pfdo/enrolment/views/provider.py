"""Pages of the provider's enrolment work and the operator's contract register."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import ListView

from pfdo.common import clock
from pfdo.common.authz import can
from pfdo.common.errors import Conflict, DomainError
from pfdo.common.views import apply_domain_error
from pfdo.enrolment import exports, selectors, services
from pfdo.enrolment.filters import ApplicationFilter, ContractFilter
from pfdo.enrolment.forms.provider import (
    ApplicationFilterForm,
    CodeForm,
    ContractFilterForm,
    InPersonForm,
    RejectForm,
    TerminateForm,
)
from pfdo.enrolment.models import Application, Contract

PROVIDER_TEMPLATES = "enrolment/provider/"
OPERATOR_TEMPLATES = "enrolment/operator/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _with_ages(objects):
    """Give each application/contract `child_age` («7 лет») for the page: the age, never
    the birth date."""
    today = clock.today()
    for obj in objects:
        obj.child_age = selectors.years_label(obj.child.age_years(today))
    return objects


class StaffMixin(LoginRequiredMixin):
    """Provider staff only (403 for other roles); objects come from their providers (404)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not can(request.user, "enrolment.list_provider"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class OfficialMixin(LoginRequiredMixin):
    """Operators, regional administrators, superusers; contracts of their municipalities."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not can(request.user, "enrolment.list_official"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# -------------------------------------------------------------------------- applications


def _application(request, pk: int) -> Application:
    application = get_object_or_404(
        selectors.provider_applications(request.user).select_related("certificate"), pk=pk
    )
    if not can(request.user, "enrolment.decide", application):
        raise Http404
    return application


class ApplicationListView(StaffMixin, ListView):
    template_name = PROVIDER_TEMPLATES + "applications.html"
    context_object_name = "applications"
    paginate_by = 50

    def get_queryset(self):
        user = self.request.user
        self.filter_form = ApplicationFilterForm(
            self.request.GET or None,
            programs=selectors.provider_programs(user),
            groups=selectors.provider_groups(user),
        )
        criteria = self.filter_form.criteria()
        if criteria is None:
            return Application.objects.none()
        return ApplicationFilter(criteria, queryset=selectors.incoming_applications(user)).qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["applications"] = _with_ages(list(ctx["applications"]))
        ctx["filter_form"] = self.filter_form
        ctx["reject_form"] = RejectForm()
        return ctx


def _application_page(request, application, *, reject_form=None, code_form=None):
    _with_ages([application])
    terms, terms_problem = None, ""
    if application.status in (Application.Status.NEW, Application.Status.AWAITING_PARENT):
        try:
            terms = services.compute_terms(
                certificate=application.certificate, group=application.group
            )
        except DomainError as exc:
            terms_problem = exc.message
    contract = selectors.contract_of(application)
    confirm_refusal = services.confirm_refusal(application)
    confirmation_refusal = services.confirmation_refusal(application)
    code_refusal = services.code_refusal(application)
    # Why a waiting application cannot go on now (the provider is not in the registry): the
    # step of its status, by the provider (new) or by the parent (in person).
    waiting = {
        Application.Status.NEW: confirm_refusal,
        Application.Status.AWAITING_PARENT: confirmation_refusal,
    }.get(application.status)
    ctx = {
        "application": application,
        "contract": contract,
        "terms": terms,
        "terms_problem": terms_problem,
        "reject_form": reject_form or RejectForm(),
        "code_form": code_form or CodeForm(),
        "can_confirm": confirm_refusal is None,
        "confirm_problem": waiting.message if waiting else "",
        "can_reject": services.reject_refusal(application) is None,
        "needs_code": code_refusal is None,
        # Waiting for the parent, but the code no longer works (void after wrong codes).
        "code_problem": code_refusal.message if code_refusal and not confirmation_refusal else "",
        "code_attempts_left": services.attempts_left(application),
    }
    return render(request, PROVIDER_TEMPLATES + "application.html", ctx)


class ApplicationView(StaffMixin, View):
    def get(self, request, pk):
        return _application_page(request, _application(request, pk))


class ApplicationConfirmView(StaffMixin, View):
    """Confirm → the contract is offered to the parent. A repeated click changes nothing."""

    def post(self, request, pk):
        application = _application(request, pk)
        try:
            contract = services.confirm(actor=request.user, application=application)
        except Conflict as exc:
            existing = selectors.contract_of(application)
            if existing is not None:
                messages.info(
                    request,
                    f"Заявка уже подтверждена: договор № {existing.number} "
                    f"{existing.get_status_display()}.",
                )
            else:
                messages.error(request, exc.message)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"Заявка подтверждена: родителю предложен договор № {contract.number}.",
            )
        return redirect("enrolment:provider_application", pk=application.pk)


class ApplicationRejectView(StaffMixin, View):
    def post(self, request, pk):
        application = _application(request, pk)
        form = RejectForm(request.POST)
        if form.is_valid():
            try:
                services.reject(
                    actor=request.user,
                    application=application,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request, f"Заявка № {application.pk} отклонена, родитель уведомлён."
                )
                return redirect("enrolment:provider_applications")
        application = _application(request, pk)
        return _application_page(request, application, reject_form=form)


class ApplicationCodeView(StaffMixin, View):
    """The parent names the code from their notification: the contract is concluded now."""

    def post(self, request, pk):
        application = _application(request, pk)
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                contract = services.confirm_with_code(
                    actor=request.user, application=application, code=form.cleaned_data["code"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    f"Родитель подтвердил запись: договор № {contract.number} заключён, "
                    "средства сертификата зарезервированы.",
                )
                return redirect("enrolment:provider_contract", pk=contract.pk)
        application = _application(request, pk)
        return _application_page(request, application, code_form=form)


# ----------------------------------------------------------------------------- in person


def _previewed(number: str, surname: str, group_id: int) -> str:
    """What the parent was shown: «Записать» files only that (an edited field shows again)."""
    return f"{number}:{group_id}:{' '.join(surname.split())}"


class EnrolView(StaffMixin, View):
    """Step 1 «Показать условия»: the certificate's reduced view and the contract's terms.
    Step 2 «Записать»: the application is filed and the parent gets a code to confirm."""

    def _form(self, data=None, initial=None):
        return InPersonForm(
            data, initial=initial, groups=selectors.groups_open_for_enrolment(self.request.user)
        )

    def get(self, request):
        group = request.GET.get("group", "")
        form = self._form(initial={"group": group} if group.isdigit() else None)
        return render(request, PROVIDER_TEMPLATES + "enrol.html", {"form": form})

    def post(self, request):
        form = self._form(request.POST)
        preview = None
        if form.is_valid():
            data = form.cleaned_data
            shown = _previewed(data["certificate_number"], data["surname"], data["group"].pk)
            # «Записать» files only what the parent was just shown; edited fields show again.
            enrol = request.POST.get("action") == "enrol"
            if enrol and request.POST.get("previewed") != shown:
                enrol = False
                messages.info(
                    request, "Номер, фамилия или группа изменились: проверьте условия ещё раз."
                )
            try:
                if enrol:
                    application = services.apply_in_person(
                        actor=request.user,
                        certificate_number=data["certificate_number"],
                        surname=data["surname"],
                        group=data["group"],
                    )
                else:
                    preview = services.preview_in_person(
                        actor=request.user,
                        certificate_number=data["certificate_number"],
                        surname=data["surname"],
                        group=data["group"],
                    )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                if preview is None:
                    if application.status == Application.Status.WAITLISTED:
                        messages.info(
                            request,
                            "Мест в группе нет: заявка поставлена в лист ожидания "
                            f"({selectors.waitlist_position(application)}-я).",
                        )
                    else:
                        messages.success(
                            request,
                            "Заявка создана. Родителю отправлен код подтверждения: введите его "
                            "ниже или дождитесь подтверждения в личном кабинете родителя.",
                        )
                    return redirect("enrolment:provider_application", pk=application.pk)
        ctx = {"form": form, "preview": preview}
        if preview is not None:
            ctx["age"] = selectors.years_label(preview.certificate.age_years)
            ctx["previewed"] = _previewed(
                preview.certificate.number, form.cleaned_data["surname"], preview.group.pk
            )
        return render(request, PROVIDER_TEMPLATES + "enrol.html", ctx)


# ----------------------------------------------------------------------------- contracts


class _RegisterMixin:
    """The contract register shared by the provider and the officials: filters, totals."""

    for_official = False
    list_url = ""
    export_url = ""
    detail_url = ""

    def base_contracts(self):
        user = self.request.user
        if self.for_official:
            return selectors.official_contracts(user)
        return selectors.provider_contracts(user)

    def filter_form(self) -> ContractFilterForm:
        user, data = self.request.user, self.request.GET or None
        if self.for_official:
            return ContractFilterForm(
                data,
                programs=selectors.official_programs(user),
                groups=selectors.official_groups(user, self.request.GET.get("program")),
                periods=selectors.official_periods(user),
            )
        return ContractFilterForm(
            data,
            programs=selectors.provider_programs(user),
            groups=selectors.provider_groups(user),
            periods=selectors.provider_periods(user),
        )

    def filtered(self):
        self.form = self.filter_form()
        criteria = self.form.criteria()
        if criteria is None:
            return Contract.objects.none()
        return ContractFilter(criteria, queryset=self.base_contracts()).qs.order_by(
            "-offered_at", "-pk"
        )

    def query_string(self) -> str:
        return urlencode([(k, v) for k, v in self.request.GET.items() if k != "page"])


class _ContractListBase(_RegisterMixin, ListView):
    context_object_name = "contracts"
    paginate_by = 50

    def get_queryset(self):
        self.qs = self.filtered()
        return self.qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        query = self.query_string()
        ctx.update(
            contracts=_with_ages(list(ctx["contracts"])),
            filter_form=self.form,
            totals=selectors.contract_totals(self.qs),
            export_href=reverse(self.export_url) + (f"?{query}" if query else ""),
            list_href=reverse(self.list_url),
            detail_url=self.detail_url,
            for_official=self.for_official,
        )
        return ctx


class _ContractExportBase(_RegisterMixin, View):
    def get(self, request):
        qs = self.filtered()
        if self.form.is_bound and not self.form.is_valid():
            messages.error(request, "Исправьте фильтры: выгрузка не сформирована.")
            return redirect(f"{reverse(self.list_url)}?{self.query_string()}")
        out = exports.contracts_xlsx(selectors.export_rows(qs), with_provider=self.for_official)
        name = f"dogovory-{clock.today():%Y-%m-%d}.xlsx"
        return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)


class ContractListView(StaffMixin, _ContractListBase):
    template_name = PROVIDER_TEMPLATES + "contracts.html"
    list_url = "enrolment:provider_contracts"
    export_url = "enrolment:provider_contracts_export"
    detail_url = "enrolment:provider_contract"


class ContractExportView(StaffMixin, _ContractExportBase):
    list_url = "enrolment:provider_contracts"


def _contract_page(request, contract, template, *, form=None):
    _with_ages([contract])
    can_terminate = services.terminate_refusal(contract) is None and can(
        request.user, "enrolment.terminate", contract
    )
    ctx = {
        "contract": contract,
        "months": selectors.contract_months(contract),
        "form": form or TerminateForm(),
        "can_terminate": can_terminate,
    }
    return render(request, template, ctx)


class _ContractMixin:
    template = PROVIDER_TEMPLATES + "contract.html"
    detail_url = "enrolment:provider_contract"
    for_official = False

    def contract(self, pk) -> Contract:
        user = self.request.user
        qs = (
            selectors.official_contracts(user)
            if self.for_official
            else selectors.provider_contracts(user)
        )
        return get_object_or_404(qs, pk=pk)

    def get(self, request, pk):
        return _contract_page(request, self.contract(pk), self.template)

    def post(self, request, pk):
        """Termination: by the provider an expulsion, by the operator a termination."""
        contract = self.contract(pk)
        if not can(request.user, "enrolment.terminate", contract):
            raise PermissionDenied
        form = TerminateForm(request.POST)
        if form.is_valid():
            try:
                services.terminate(
                    actor=request.user, contract=contract, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    f"Договор № {contract.number} расторгнут. Неизрасходованный резерв "
                    "возвращён на сертификат, место в группе освобождено.",
                )
                return redirect(self.detail_url, pk=contract.pk)
        return _contract_page(request, self.contract(pk), self.template, form=form)


class ContractView(StaffMixin, _ContractMixin, View):
    pass


# ------------------------------------------------------------------------------- roster


class RosterView(StaffMixin, View):
    def get(self, request, group_id):
        group = selectors.roster_group(request.user, group_id)
        if group is None or not can(request.user, "enrolment.view_roster", group):
            raise Http404
        return render(
            request, PROVIDER_TEMPLATES + "roster.html", {"roster": selectors.roster(group)}
        )


# ---------------------------------------------------------------------------- operator


class OperatorContractListView(OfficialMixin, _ContractListBase):
    template_name = OPERATOR_TEMPLATES + "contracts.html"
    for_official = True
    list_url = "enrolment:operator_contracts"
    export_url = "enrolment:operator_contracts_export"
    detail_url = "enrolment:operator_contract"


class OperatorContractExportView(OfficialMixin, _ContractExportBase):
    for_official = True
    list_url = "enrolment:operator_contracts"


class OperatorContractView(OfficialMixin, _ContractMixin, View):
    template = OPERATOR_TEMPLATES + "contract.html"
    detail_url = "enrolment:operator_contract"
    for_official = True
