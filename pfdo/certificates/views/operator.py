"""Pages of the operator's certificate work (registry, card, queue, registration, periods,
import) and the provider's certificate look-up."""

from __future__ import annotations

from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import View

from pfdo.accounts.models import User
from pfdo.audit import services as audit
from pfdo.certificates import imports, selectors, services
from pfdo.certificates.forms.operator import (
    ApplicationFilterForm,
    CancelForm,
    FamilyRegistrationForm,
    IdentifierSearchForm,
    ImportConfirmForm,
    ImportUploadForm,
    LookupForm,
    ReactivateForm,
    ReasonForm,
    RegistryFilterForm,
    ReissuePasswordForm,
    RejectForm,
)
from pfdo.certificates.models import Certificate, CertificateApplication, SwitchRequest
from pfdo.common.errors import DomainError, NotFound, ValidationFailed
from pfdo.common.views import ScopedListView, ServiceFormView, apply_domain_error
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import current_period, manageable_municipalities

# One-time passwords wait here between the issuing POST and the printable page, which pops
# them on its first render: never in a URL, never in a model.
PASSWORDS_KEY = "certificates_issued_passwords"
IMPORT_KEY = "certificates_import"
IMPORT_RESULT_KEY = "certificates_import_result"

T = "certificates/operator/"


def _flash_error(request, exc: DomainError) -> None:
    messages.error(request, exc.message)
    for msgs in exc.fields.values():
        for msg in msgs:
            if msg != exc.message:
                messages.error(request, msg)


def _hand_over(request, issued: services.Issued) -> None:
    """Keep a just-issued password for the next render of the certificate's printable page."""
    if not issued.password:
        return
    pending = dict(request.session.get(PASSWORDS_KEY) or {})
    pending[str(issued.certificate.pk)] = {"login": issued.login, "password": issued.password}
    request.session[PASSWORDS_KEY] = pending


def _take_password(request, certificate: Certificate) -> dict | None:
    pending = dict(request.session.get(PASSWORDS_KEY) or {})
    entry = pending.pop(str(certificate.pk), None)
    if entry is not None:
        if pending:
            request.session[PASSWORDS_KEY] = pending
        else:
            del request.session[PASSWORDS_KEY]
    return entry


class OfficialMixin(LoginRequiredMixin):
    """Operators, regional administrators and superusers; anyone else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm("certificates.manage"):
            raise PermissionDenied
        self.municipalities = manageable_municipalities(request.user)
        return super().dispatch(request, *args, **kwargs)


def _certificate(request, pk: int) -> Certificate:
    """A certificate the official manages: 404 outside `for_user`, 403 for a mere reader."""
    certificate = get_object_or_404(
        Certificate.objects.for_user(request.user).select_related(
            "child", "municipality__region", "application__parent"
        ),
        pk=pk,
    )
    if not request.user.has_perm("certificates.manage", certificate):
        raise PermissionDenied
    return certificate


def _application(request, pk: int) -> CertificateApplication:
    application = get_object_or_404(
        CertificateApplication.objects.for_user(request.user).select_related(
            "child", "municipality__region", "parent", "created_by", "decided_by"
        ),
        pk=pk,
    )
    if not request.user.has_perm("certificates.manage", application):
        raise PermissionDenied
    return application


# ---------------------------------------------------------------------------- registry


class RegistryView(OfficialMixin, ScopedListView):
    """Certificates of the official's municipalities with balances and the quota summary.

    Search by number or name comes by GET; an exact СНИЛС or document comes by POST, so the
    identifier never lands in a URL, the browser history or an access log.
    """

    model = Certificate
    template_name = T + "registry.html"
    context_object_name = "certificates"

    def post(self, request, *args, **kwargs):
        self.search_form = IdentifierSearchForm(request.POST)
        return self.get(request, *args, **kwargs)

    def get_queryset(self):
        self.filter_form = RegistryFilterForm(
            self.request.GET or None, municipalities=self.municipalities
        )
        self.search_form = getattr(self, "search_form", None) or IdentifierSearchForm()
        qs = (
            super()
            .get_queryset()
            .filter(municipality__in=self.municipalities)
            .select_related("child", "municipality")
        )
        if self.search_form.is_bound:
            if not self.search_form.is_valid():
                return qs.none()
            data = self.search_form.cleaned_data
            return selectors.search_by_identifier(
                qs,
                region_ids=set(self.municipalities.values_list("region_id", flat=True)),
                snils=data["snils"],
                document_type=data["document_type"],
                document=data["document_number"],
            )
        if self.filter_form.is_bound and self.filter_form.is_valid():
            data = self.filter_form.cleaned_data
            if data.get("municipality"):
                qs = qs.filter(municipality=data["municipality"])
            if data["type"]:
                qs = qs.filter(type=data["type"])
            if data["status"]:
                qs = qs.filter(status=data["status"])
            qs = selectors.search_registry(qs, data["q"])
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        page = list(ctx["certificates"])
        municipality = (
            self.filter_form.chosen_municipality() if self.filter_form.is_valid() else None
        )
        municipality = municipality or self.filter_form.only_municipality
        ctx["summary_municipality"] = municipality
        period = current_period(municipality) if municipality is not None else None
        known = {municipality.pk: period} if municipality is not None else {}
        money = selectors.current_balances(page, periods=known)
        ctx["rows"] = [(c, money.get(c.pk)) for c in page]
        ctx["usage"] = selectors.quota_usage(period) if period else None
        ctx["filter_form"] = self.filter_form
        ctx["search_form"] = self.search_form
        ctx["identifier_search"] = self.search_form.is_bound
        ctx["municipality_choices"] = (
            [] if municipality or self.filter_form.only_municipality else list(self.municipalities)
        )
        q = self.filter_form.cleaned_data.get("q", "") if self.filter_form.is_valid() else ""
        digits = q.replace(" ", "").replace("-", "")
        ctx["looks_like_snils"] = digits.isdigit() and len(digits) == 11
        return ctx


# ------------------------------------------------------------------------ certificate card


def _card_context(request, certificate: Certificate, bound: dict | None = None) -> dict:
    bound = bound or {}
    child = certificate.child
    guardianships = list(child.guardianships.select_related("user").order_by("created_at", "pk"))
    audit.log_personal_data_access(
        actor=request.user,
        subject=child,
        purpose="certificate_card",
        municipality=certificate.municipality,
    )
    status = certificate.status
    return {
        "certificate": certificate,
        "child": child,
        "guardianships": guardianships,
        "period_balances": selectors.period_balances(certificate),
        "statement": selectors.statement(certificate),
        "switch_requests": certificate.switch_requests.order_by("-created_at", "-pk"),
        "other_certificates": child.certificates.exclude(pk=certificate.pk).order_by("-issued_at"),
        "suspend_form": bound.get("suspend")
        or (ReasonForm(prefix="suspend") if status == Certificate.Status.ACTIVE else None),
        "reactivate_form": bound.get("reactivate")
        or (
            ReactivateForm(prefix="reactivate") if status == Certificate.Status.SUSPENDED else None
        ),
        "cancel_form": bound.get("cancel")
        or (CancelForm(prefix="cancel") if certificate.is_live else None),
        "password_form": bound.get("password")
        or (
            ReissuePasswordForm(prefix="password", guardians=[g.user for g in guardianships])
            if guardianships
            else None
        ),
    }


class CertificateDetailView(OfficialMixin, View):
    def get(self, request, pk):
        certificate = _certificate(request, pk)
        return render(request, T + "detail.html", _card_context(request, certificate))


# action: (form, service, message on success)
STATUS_ACTIONS = {
    "suspend": (ReasonForm, services.suspend_certificate, "Сертификат приостановлен."),
    "reactivate": (ReactivateForm, services.reactivate_certificate, "Сертификат возобновлён."),
    "cancel": (
        CancelForm,
        services.cancel_certificate,
        "Сертификат аннулирован; неиспользованный остаток возвращён в бюджет.",
    ),
}


class CertificateStatusView(OfficialMixin, View):
    action = ""

    def post(self, request, pk):
        certificate = _certificate(request, pk)
        form_class, service, done = STATUS_ACTIONS[self.action]
        form = form_class(request.POST, prefix=self.action)
        if form.is_valid():
            try:
                service(
                    actor=request.user, certificate=certificate, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, done)
                return redirect("certificates:detail", pk=certificate.pk)
        ctx = _card_context(request, certificate, {self.action: form})
        return render(request, T + "detail.html", ctx)


class ReissuePasswordView(OfficialMixin, View):
    def post(self, request, pk):
        certificate = _certificate(request, pk)
        guardians = [g.user for g in certificate.child.guardianships.select_related("user")]
        form = ReissuePasswordForm(request.POST, prefix="password", guardians=guardians)
        if form.is_valid():
            try:
                issued = services.reissue_parent_password(
                    actor=request.user, certificate=certificate, parent=form.chosen_parent()
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                _hand_over(request, issued)
                return redirect("certificates:print", pk=certificate.pk)
        ctx = _card_context(request, certificate, {"password": form})
        return render(request, T + "detail.html", ctx)


class PrintView(OfficialMixin, View):
    """The printable certificate; a password issued just before is shown on this render only."""

    def get(self, request, pk):
        certificate = _certificate(request, pk)
        handed = _take_password(request, certificate)
        audit.log_personal_data_access(
            actor=request.user,
            subject=certificate.child,
            purpose="certificate_print",
            municipality=certificate.municipality,
        )
        guardians = [
            g.user
            for g in certificate.child.guardianships.select_related("user").order_by("created_at")
        ]
        response = render(
            request,
            T + "print.html",
            {
                "certificate": certificate,
                "child": certificate.child,
                "handed": handed,
                "guardians": guardians,
                "login_url": request.build_absolute_uri(reverse("accounts:login")),
            },
        )
        add_never_cache_headers(response)
        return response


# ---------------------------------------------------------------------------- applications


class QueueView(OfficialMixin, ScopedListView):
    """Applications waiting for the operator, oldest first, with a duplicate flag per row."""

    model = CertificateApplication
    template_name = T + "queue.html"
    context_object_name = "applications"

    def get_queryset(self):
        self.filter_form = ApplicationFilterForm(self.request.GET or None)
        status = self.filter_form.chosen_status()
        qs = (
            super()
            .get_queryset()
            .filter(municipality__in=self.municipalities)
            .select_related("child", "municipality", "parent")
        )
        if status == ApplicationFilterForm.OPEN:
            qs = qs.open()
        elif status != ApplicationFilterForm.ALL:
            qs = qs.filter(status=status)
        return qs.order_by("created_at", "pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        page = list(ctx["applications"])
        flags = selectors.duplicate_flags(page)
        ctx["rows"] = [(a, flags.get(a.pk, 0)) for a in page]
        ctx["filter_form"] = self.filter_form
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
    }


class ApplicationView(OfficialMixin, View):
    def get(self, request, pk):
        application = _application(request, pk)
        return render(request, T + "application.html", _application_context(request, application))


class VerifyApplicationView(OfficialMixin, View):
    def post(self, request, pk):
        application = _application(request, pk)
        try:
            services.verify_application(actor=request.user, application=application)
        except DomainError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, "Документы проверены: заявление ждёт решения.")
        return redirect("certificates:application", pk=application.pk)


class ApproveApplicationView(OfficialMixin, View):
    def post(self, request, pk):
        application = _application(request, pk)
        try:
            issued = services.approve_application(actor=request.user, application=application)
        except DomainError as exc:
            _flash_error(request, exc)
            return redirect("certificates:application", pk=application.pk)
        _hand_over(request, issued)
        messages.success(
            request,
            f"Выдан {issued.certificate.get_type_display()} № {issued.certificate.number_display}.",
        )
        return redirect("certificates:print", pk=issued.certificate.pk)


class RejectApplicationView(OfficialMixin, View):
    def post(self, request, pk):
        application = _application(request, pk)
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
        return render(request, T + "application.html", ctx)


class RegisterFamilyView(OfficialMixin, ServiceFormView):
    """A family registered at the desk: one service call, all or nothing."""

    template_name = T + "register.html"
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
            _hand_over(self.request, registered.issued)
            messages.success(self.request, "Заявление зарегистрировано и одобрено.")
            return reverse("certificates:print", args=[registered.issued.certificate.pk])
        messages.success(
            self.request, "Заявление зарегистрировано: проверьте документы и примите решение."
        )
        return reverse("certificates:application", args=[registered.application.pk])


# ---------------------------------------------------------------------------------- period


def _period(request, period_pk: int) -> FinancingPeriod:
    period = get_object_or_404(
        FinancingPeriod.objects.for_user(request.user).select_related("municipality"),
        pk=period_pk,
    )
    if not request.user.has_perm("certificates.manage", period):
        raise PermissionDenied
    return period


class PeriodView(OfficialMixin, View):
    def get(self, request, period_pk):
        period = _period(request, period_pk)
        waiting = (
            SwitchRequest.objects.for_user(request.user)
            .filter(municipality_id=period.municipality_id, status=SwitchRequest.Status.WAITING)
            .select_related("certificate__child")
            .order_by("created_at", "pk")
        )
        current = current_period(period.municipality)
        ctx = {
            "period": period,
            "usage": selectors.quota_usage(period),
            "waiting": waiting[:200],
            "waiting_count": waiting.count(),
            "is_current": current is not None and current.pk == period.pk,
        }
        return render(request, T + "period.html", ctx)


class FulfilSwitchesView(OfficialMixin, View):
    def post(self, request, period_pk):
        period = _period(request, period_pk)
        try:
            done = services.fulfil_switch_requests(
                actor=request.user, municipality=period.municipality
            )
        except DomainError as exc:
            _flash_error(request, exc)
        else:
            if done:
                messages.success(request, f"Выполнено запросов на перевод: {done}.")
            else:
                messages.info(
                    request, "Ни один запрос не выполнен: нет ожидающих запросов или мест в квоте."
                )
        return redirect("certificates:period", period_pk=period.pk)


class GrantNominalsView(OfficialMixin, View):
    def post(self, request, period_pk):
        period = _period(request, period_pk)
        try:
            granted = services.grant_period_nominals(actor=request.user, period=period)
        except DomainError as exc:
            _flash_error(request, exc)
        else:
            if granted:
                messages.success(request, f"Начислено номиналов: {granted}.")
            else:
                messages.info(request, "Новых начислений нет: всем уже начислено.")
        return redirect("certificates:period", period_pk=period.pk)


# --------------------------------------------------------------------------- the look-up


class LookupView(LoginRequiredMixin, View):
    """A provider finds a certificate by its number and sees only name, age, type, status."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm("certificates.lookup"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, T + "lookup.html", {"form": LookupForm()})

    def post(self, request):
        form = LookupForm(request.POST)
        found = None
        if form.is_valid():
            try:
                found = services.look_up_certificate(
                    actor=request.user, number=form.cleaned_data["number"]
                )
            except NotFound as exc:
                form.add_error("number", exc.message)
            except DomainError as exc:
                apply_domain_error(form, exc)
        return render(request, T + "lookup.html", {"form": form, "found": found})


# -------------------------------------------------------------------------------- import


class ImportView(OfficialMixin, View):
    """Step one: upload and check. The report lists every bad row; the file waits for step two."""

    def get(self, request):
        result = request.session.pop(IMPORT_RESULT_KEY, None)
        form = ImportUploadForm(municipalities=self.municipalities)
        return render(request, T + "import.html", {"form": form, "result": result})

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES, municipalities=self.municipalities)
        if form.is_valid():
            municipality = form.chosen_municipality()
            try:
                if municipality is None:
                    raise ValidationFailed(fields={"municipality": "Выберите муниципалитет."})
                report = imports.check_upload(
                    actor=request.user, municipality=municipality, upload=form.cleaned_data["file"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                request.session.pop(IMPORT_KEY, None)
                if report.token:
                    request.session[IMPORT_KEY] = {
                        "token": report.token,
                        "municipality": municipality.pk,
                    }
                ctx = {
                    "report": report,
                    "municipality": municipality,
                    "bad_rows": report.bad_rows[:500],
                    "noted_rows": [r for r in report.rows if r.ok and r.notes][:200],
                    "confirm_form": ImportConfirmForm(initial={"token": report.token}),
                }
                return render(request, T + "import_report.html", ctx)
        return render(request, T + "import.html", {"form": form})


class ImportConfirmView(OfficialMixin, View):
    """Step two: import the checked file once; a stale or repeated submit imports nothing."""

    def post(self, request):
        form = ImportConfirmForm(request.POST)
        pending = request.session.get(IMPORT_KEY) or {}
        if not form.is_valid() or pending.get("token") != form.cleaned_data["token"]:
            messages.error(
                request, "Этот файл уже загружен или проверка устарела. Загрузите файл заново."
            )
            return redirect("certificates:import")
        del request.session[IMPORT_KEY]
        token = pending["token"]
        if form.cleaned_data["mode"] == ImportConfirmForm.CANCEL:
            imports.discard(token)
            messages.info(request, "Загрузка отменена: ничего не загружено.")
            return redirect("certificates:import")
        municipality = get_object_or_404(self.municipalities, pk=pending.get("municipality"))
        try:
            result = imports.import_stashed(
                actor=request.user,
                municipality=municipality,
                token=token,
                only_good=form.cleaned_data["mode"] == ImportConfirmForm.GOOD,
                approve=form.cleaned_data["approve"],
            )
        except DomainError as exc:
            _flash_error(request, exc)
            return redirect("certificates:import")
        request.session[IMPORT_RESULT_KEY] = asdict(result)
        return redirect("certificates:import")


class ImportTemplateView(OfficialMixin, View):
    def get(self, request):
        response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="children-import-template.csv"'
        return response
