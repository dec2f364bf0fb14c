"""The operator's certificate pages: the registry, the card and its actions, the print."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import View

from pfdo.audit import services as audit
from pfdo.certificates import selectors, services
from pfdo.certificates.filters import RegistryFilter
from pfdo.certificates.forms.operator import (
    CancelForm,
    IdentifierSearchForm,
    ReactivateForm,
    ReasonForm,
    ReissuePasswordForm,
)
from pfdo.certificates.models import Certificate
from pfdo.certificates.views._common import (
    OPERATOR_TEMPLATES,
    OfficialMixin,
    hand_over,
    official_certificate,
    take_password,
)
from pfdo.common.errors import DomainError
from pfdo.common.views import ScopedListView, apply_domain_error
from pfdo.financing.selectors import current_period


class RegistryView(OfficialMixin, ScopedListView):
    """Certificates of the official's municipalities with balances and the quota summary.

    Search by number or name comes by GET; an exact СНИЛС or document comes by POST, so the
    identifier never lands in a URL, the browser history or an access log.
    """

    model = Certificate
    template_name = OPERATOR_TEMPLATES + "registry.html"
    context_object_name = "certificates"

    def post(self, request, *args, **kwargs):
        self.search_form = IdentifierSearchForm(request.POST)
        return self.get(request, *args, **kwargs)

    def get_queryset(self):
        self.search_form = getattr(self, "search_form", None) or IdentifierSearchForm()
        qs = (
            super()
            .get_queryset()
            .filter(municipality__in=self.municipalities)
            .select_related("child", "municipality")
        )
        self.filterset = RegistryFilter(
            self.request.GET or None, queryset=qs, municipalities=self.municipalities
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
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        page = list(ctx["certificates"])
        municipality = self.filterset.chosen_municipality()
        ctx["summary_municipality"] = municipality
        period = current_period(municipality) if municipality is not None else None
        known = {municipality.pk: period} if municipality is not None else {}
        money = selectors.current_balances(page, periods=known)
        ctx["rows"] = [(c, money.get(c.pk)) for c in page]
        ctx["usage"] = selectors.quota_usage(period) if period else None
        ctx["filter_form"] = self.filterset.form
        ctx["search_form"] = self.search_form
        ctx["identifier_search"] = self.search_form.is_bound
        ctx["municipality_choices"] = (
            [] if municipality or self.filterset.only_municipality else list(self.municipalities)
        )
        digits = self.filterset.search_text().replace(" ", "").replace("-", "")
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
        certificate = official_certificate(request, pk)
        return render(
            request, OPERATOR_TEMPLATES + "detail.html", _card_context(request, certificate)
        )


# action: (form, service, message on success)
STATUS_ACTIONS = {
    "suspend": (ReasonForm, services.suspend_certificate, "Сертификат приостановлен."),
    "reactivate": (ReactivateForm, services.reactivate_certificate, "Сертификат возобновлён."),
    "cancel": (
        CancelForm,
        services.cancel_certificate,
        "Сертификат аннулирован: его договоры расторгнуты сегодняшним днём, заявки закрыты, "
        "неиспользованный остаток и резерв неоплаченных месяцев возвращены в бюджет.",
    ),
}


class CertificateStatusView(OfficialMixin, View):
    action = ""

    def post(self, request, pk):
        certificate = official_certificate(request, pk)
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
        return render(request, OPERATOR_TEMPLATES + "detail.html", ctx)


class ReissuePasswordView(OfficialMixin, View):
    def post(self, request, pk):
        certificate = official_certificate(request, pk)
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
                hand_over(request, issued)
                return redirect("certificates:print", pk=certificate.pk)
        ctx = _card_context(request, certificate, {"password": form})
        return render(request, OPERATOR_TEMPLATES + "detail.html", ctx)


class PrintView(OfficialMixin, View):
    """The printable certificate; a password issued just before is shown on this render only."""

    def get(self, request, pk):
        certificate = official_certificate(request, pk)
        handed = take_password(request, certificate)
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
            OPERATOR_TEMPLATES + "print.html",
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
