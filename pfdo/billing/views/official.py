"""Billing pages of the municipality's month and year: the payer's month run, the payment
registry (with its CSV and XLSX), the month's reconciliation, and the periods with their
close (the operator's)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import ListView

from pfdo.billing import exports, selectors, services
from pfdo.billing.filters import PaymentFilter
from pfdo.billing.forms.payer import MonthForm, PaymentFilterForm
from pfdo.billing.models import Payment, PeriodClosing
from pfdo.billing.views.official_common import (
    TEMPLATES,
    OfficialMixin,
    PayerMixin,
    apply_error,
    bound,
    htmx_partial,
    municipalities_of,
    pick,
    with_vary,
)
from pfdo.common import clock
from pfdo.common.authz import can
from pfdo.common.errors import DomainError
from pfdo.common.months import format_month, month_label, previous_month
from pfdo.financing.models import FinancingPeriod
from pfdo.jobs.views import to_job
from pfdo.providers.models import Provider

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOTALS = (
    "planned_kopecks",
    "lines_kopecks",
    "advance_kopecks",
    "carry_in_kopecks",
    "carry_out_kopecks",
    "due_kopecks",
    "paid_kopecks",
    "outstanding_kopecks",
)


# --------------------------------------------------------------------------- month run


class RunView(PayerMixin, View):
    """The payer's month run: every provider's documents for the month, once, as a job whose
    page shows its progress and then its result."""

    template_name = TEMPLATES + "run.html"

    def _render(self, request, form, municipality):
        ctx = {"form": form, "municipality": municipality, "is_payer": True}
        template = self.template_name + ("#run-block" if htmx_partial(request) else "")
        return with_vary(render(request, template, ctx))

    def get(self, request):
        municipalities = municipalities_of(request.user, payer_only=True)
        municipality = pick(municipalities, request.GET.get("municipality"))
        form = MonthForm(
            initial={"municipality": municipality.code, "month": previous_month(clock.today())},
            municipalities=municipalities,
        )
        return self._render(request, form, municipality)

    def post(self, request):
        municipalities = municipalities_of(request.user, payer_only=True)
        municipality = pick(municipalities, request.POST.get("municipality"))
        form = MonthForm(bound(request.POST, municipality), municipalities=municipalities)
        if form.is_valid():
            try:
                job = services.start_month_run(
                    actor=request.user,
                    municipality=municipality,
                    month=form.cleaned_data["month"],
                    back=f"{reverse('billing:payer_run')}?municipality={municipality.code}",
                )
            except DomainError as exc:
                apply_error(form, exc)
            else:
                return to_job(request, job)
        return self._render(request, form, municipality)


# ---------------------------------------------------------------------------- payments


class _PaymentsMixin:
    """Payments of one municipality, filtered by the dates paid and the provider."""

    def filtered(self):
        user = self.request.user
        municipalities = municipalities_of(user)
        self.municipality = pick(municipalities, self.request.GET.get("municipality"))
        self.form = PaymentFilterForm(
            bound(self.request.GET, self.municipality),
            municipalities=municipalities,
            providers=Provider.objects.filter(municipality=self.municipality).order_by(
                "short_name"
            ),
        )
        qs = Payment.objects.for_user(user).filter(municipality=self.municipality)
        if not self.form.is_valid():
            return qs.none()
        # The form checks what the page offers; the API's FilterSet applies it.
        data = self.form.cleaned_data
        query = {
            "paid_from": data["date_from"].isoformat() if data["date_from"] else "",
            "paid_to": data["date_to"].isoformat() if data["date_to"] else "",
            "provider": data["provider"].pk if data["provider"] else "",
        }
        return PaymentFilter(query, queryset=qs).qs

    def query_string(self) -> str:
        data = self.request.GET.copy()
        data.pop("page", None)
        if not data.get("municipality"):
            data["municipality"] = self.municipality.code
        return data.urlencode()

    def file_name(self, ext: str) -> str:
        data = self.form.cleaned_data if self.form.is_valid() else {}
        parts = ["reestr-platezhey", self.municipality.code]
        if data.get("date_from"):
            parts.append(f"{data['date_from']:%Y-%m-%d}")
        if data.get("date_to"):
            parts.append(f"{data['date_to']:%Y-%m-%d}")
        return "-".join(parts) + f".{ext}"


class PaymentListView(OfficialMixin, _PaymentsMixin, ListView):
    template_name = TEMPLATES + "payments.html"
    context_object_name = "payments"
    paginate_by = 50

    def get_queryset(self):
        self.qs = self.filtered()
        return self.qs.select_related("provider", "invoice", "advance").order_by("-paid_on", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        totals = self.qs.aggregate(n=Count("pk"), s=Sum("amount_kopecks"))
        query = self.query_string()
        for payment in ctx["payments"]:
            document = payment.document
            payment.document_title = (
                f"Счёт № {document.pk}"
                if payment.invoice_id
                else f"Заявка на аванс № {document.pk}"
            )
            payment.document_url = reverse(
                "billing:official_invoice" if payment.invoice_id else "billing:official_advance",
                args=[document.pk],
            )
            payment.month_label = month_label(document.month)
        ctx.update(
            filter_form=self.form,
            municipality=self.municipality,
            is_payer=can(self.request.user, "billing.decide", self.municipality),
            total_count=totals["n"] or 0,
            total_kopecks=totals["s"] or 0,
            csv_href=reverse("billing:official_payments_csv") + f"?{query}",
            xlsx_href=reverse("billing:official_payments_xlsx") + f"?{query}",
        )
        return ctx


class _RegistryExportBase(OfficialMixin, _PaymentsMixin, View):
    def refused(self, request):
        messages.error(request, "Исправьте фильтры: реестр не сформирован.")
        return redirect(f"{reverse('billing:official_payments')}?{self.query_string()}")


class PaymentsCsvView(_RegistryExportBase):
    def get(self, request):
        qs = self.filtered()
        if not self.form.is_valid():
            return self.refused(request)
        response = StreamingHttpResponse(
            exports.registry_csv(selectors.payment_registry(qs)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{self.file_name("csv")}"'
        return response


class PaymentsXlsxView(_RegistryExportBase):
    def get(self, request):
        qs = self.filtered()
        if not self.form.is_valid():
            return self.refused(request)
        out = exports.registry_xlsx(selectors.payment_registry(qs))
        return FileResponse(
            out, as_attachment=True, filename=self.file_name("xlsx"), content_type=XLSX
        )


# ----------------------------------------------------------------------- reconciliation


class ReconciliationView(OfficialMixin, View):
    """The month's proof: contract amounts billed = invoice lines = payments + outstanding."""

    def get(self, request):
        user = request.user
        municipalities = municipalities_of(user)
        municipality = pick(municipalities, request.GET.get("municipality"))
        form = MonthForm(
            bound(request.GET, municipality, month=format_month(previous_month(clock.today()))),
            municipalities=municipalities,
        )
        report = None
        if form.is_valid():
            report = selectors.reconciliation(municipality, form.cleaned_data["month"])
        ctx = {
            "form": form,
            "municipality": municipality,
            "report": report,
            "month_label": month_label(report.month) if report else "",
            "totals": {name: report.total(name) for name in TOTALS} if report else {},
            "is_payer": can(user, "billing.decide", municipality),
        }
        return render(request, TEMPLATES + "reconciliation.html", ctx)


# ------------------------------------------------------------------------ period close


class PeriodListView(OfficialMixin, View):
    """The municipality's periods with their close; the operator closes an ended one."""

    def get(self, request):
        user = request.user
        municipalities = municipalities_of(user)
        municipality = pick(municipalities, request.GET.get("municipality"))
        today = clock.today()
        periods = list(
            FinancingPeriod.objects.for_user(user)
            .filter(municipality=municipality)
            .exclude(status=FinancingPeriod.Status.DRAFT)
            .order_by("-starts_on")
        )
        closings = {
            c.period_id: c
            for c in PeriodClosing.objects.filter(period__in=periods).select_related(
                "next_period", "closed_by"
            )
        }
        can_close = can(user, "billing.close_period", municipality)
        for period in periods:
            period.closing_row = closings.get(period.pk)
            # The close's own answer: nothing to do yet (or any more), and why.
            period.close_refusal = services.close_refusal(
                period, today=today, closing=period.closing_row
            )
            period.closable = can_close and period.close_refusal is None
        ctx = {
            "periods": periods,
            "municipality": municipality,
            "municipalities": municipalities,
            "can_close": can_close,
            "is_payer": can(user, "billing.decide", municipality),
        }
        return render(request, TEMPLATES + "periods.html", ctx)


class PeriodCloseView(OfficialMixin, View):
    def post(self, request, pk):
        user = request.user
        period = get_object_or_404(
            FinancingPeriod.objects.for_user(user)
            .filter(municipality__in=municipalities_of(user))
            .select_related("municipality"),
            pk=pk,
        )
        if not can(user, "billing.close_period", period):
            raise PermissionDenied
        back = reverse("billing:official_periods") + f"?municipality={period.municipality.code}"
        try:
            job = services.start_period_close(actor=user, period=period, back=back)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        return to_job(request, job)
