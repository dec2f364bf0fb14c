"""Billing pages of the payer and the municipality's officials: the month's documents,
decisions and payments (the payer acts, operators and the region read), the month run,
the payment registry, reconciliation and the period close (the operator)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views import View
from django.views.generic import ListView

from pfdo.accounts.roles import Role
from pfdo.billing import calculation as calc
from pfdo.billing import exports, selectors, services
from pfdo.billing.forms.payer import (
    KIND_ADVANCE,
    KIND_INVOICE,
    MonthForm,
    OverviewFilterForm,
    PaymentFilterForm,
    PaymentForm,
    RejectForm,
)
from pfdo.billing.models import AdvanceRequest, DocumentStatus, Invoice, Payment, PeriodClosing
from pfdo.common import clock
from pfdo.common.errors import Conflict, DomainError
from pfdo.common.money import format_kopecks
from pfdo.enrolment.selectors import month_label
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.rules import manages_municipality
from pfdo.providers.models import Provider
from pfdo.territory.models import Municipality

T = "billing/payer/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Status = DocumentStatus
LINES_PER_PAGE = 100
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


# ------------------------------------------------------------------------------ access


class OfficialMixin(LoginRequiredMixin):
    """The municipality's operator, payer, the regional administrator, superusers (else 403).
    Objects come from their municipalities only (else 404)."""

    roles: tuple[str, ...] = (Role.OPERATOR, Role.PAYER, Role.REGIONAL_ADMIN)

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return self.handle_no_permission()
        if not (user.is_superuser or user.has_role(*self.roles)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class PayerMixin(OfficialMixin):
    roles = (Role.PAYER,)


def _municipalities(user, *, payer_only: bool = False) -> list[Municipality]:
    """The municipalities whose billing the user reads (or, `payer_only`, acts on)."""
    qs = Municipality.objects.order_by("name", "pk")
    if user.is_superuser:
        return list(qs.filter(is_active=True))
    if payer_only:
        scope = Q(pk__in=user.municipality_ids_for(Role.PAYER))
    else:
        scope = Q(pk__in=user.municipality_ids_for(Role.OPERATOR, Role.PAYER)) | Q(
            region_id__in=user.region_ids_for(Role.REGIONAL_ADMIN)
        )
    return list(qs.filter(scope))


def _pick(municipalities: list[Municipality], code: str | None) -> Municipality:
    """The municipality asked for by its code (the first one when none is asked); 404 outside
    the user's scope."""
    if not municipalities:
        raise Http404
    if not code:
        return municipalities[0]
    for municipality in municipalities:
        if municipality.code == code:
            return municipality
    raise Http404


def _bound(request_data, municipality: Municipality, **defaults) -> Any:
    """The query with the municipality and defaults filled in, so filter forms always bind."""
    data = request_data.copy()
    if not data.get("municipality"):
        data["municipality"] = municipality.code
    for name, value in defaults.items():
        if not data.get(name):
            data[name] = value
    return data


def _previous_month(today: dt.date) -> dt.date:
    return calc.previous_month(today)


def _htmx_partial(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _with_vary(response):
    # The same URL answers a fragment to htmx and a page to the browser: caches must tell.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _apply_error(form, exc: DomainError, rename: dict[str, str] | None = None) -> None:
    """The service's message on top, its field messages on the form's fields."""
    rename = rename or {}
    if exc.message and exc.message != type(exc).default_message:
        form.add_error(None, exc.message)
    for name, msgs in exc.fields.items():
        name = rename.get(name, name)
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)
    if not exc.fields and not form.non_field_errors():
        form.add_error(None, exc.message)


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Kind:
    key: str
    model: type
    title: str
    detail_url: str

    def _step(self, step: str, actor, document, **kwargs):
        # services.<step>_advance(advance=…) / services.<step>_invoice(invoice=…)
        service = getattr(services, f"{step}_{self.key}")
        return service(actor=actor, **{self.key: document}, **kwargs)

    def accept(self, actor, document):
        return self._step("accept", actor, document)

    def reject(self, actor, document, reason: str):
        return self._step("reject", actor, document, reason=reason)


KINDS = {
    KIND_ADVANCE: Kind(KIND_ADVANCE, AdvanceRequest, "Заявка на аванс", "billing:official_advance"),
    KIND_INVOICE: Kind(KIND_INVOICE, Invoice, "Счёт", "billing:official_invoice"),
}


def _document(request, kind: Kind, pk: int):
    """The document if it belongs to one of the user's municipalities (else 404)."""
    user = request.user
    qs = (
        kind.model.objects.for_user(user)
        .filter(municipality__in=_municipalities(user))
        .select_related("provider", "municipality", "period", "submitted_by", "decided_by")
    )
    return get_object_or_404(qs, pk=pk)


def _payer_document(request, kind: Kind, pk: int):
    """As `_document`, for actions: only the payer of the document's municipality (else 403)."""
    document = _document(request, kind, pk)
    if not selectors.is_payer(request.user, document.municipality):
        raise PermissionDenied
    return document


@dataclass
class DocRow:
    kind: Kind
    doc: Any
    url: str

    @property
    def amount_kopecks(self) -> int:
        """What the document asks for the month: the advance, or the invoice's billed total."""
        return self.doc.amount_kopecks if self.kind.key == KIND_ADVANCE else self.doc.billed_kopecks

    @property
    def waiting(self) -> bool:
        return self.doc.status == Status.SUBMITTED


def _print_url(kind: Kind, document) -> str:
    """The printable invoice: the provider pages' print view, open to the officials too."""
    if kind.key != KIND_INVOICE:
        return ""
    return reverse("billing:provider_invoice_print", args=[document.pk])


def _document_page(request, kind: Kind, document, *, reject_form=None, pay_form=None):
    user = request.user
    payer = selectors.is_payer(user, document.municipality)
    lines = document.lines.select_related("contract__group__module__program").order_by(
        "contract__number", "pk"
    )
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    outstanding = document.outstanding_kopecks
    can_pay = payer and document.status == Status.ACCEPTED and outstanding > 0
    ctx = {
        "kind": kind,
        "document": document,
        "lines": page.object_list,
        "page_obj": page,
        "is_paginated": page.has_other_pages(),
        "paginator": page.paginator,
        "payments": document.payments.select_related("recorded_by").order_by("paid_on", "pk"),
        "outstanding": outstanding,
        "month_label": month_label(document.month),
        "can_decide": payer and document.status == Status.SUBMITTED,
        "can_pay": can_pay,
        "reject_form": reject_form or RejectForm(),
        "pay_form": pay_form
        or PaymentForm(initial={"paid_on": clock.today(), "amount": outstanding}),
        "contract_url": (
            "enrolment:operator_contract" if user.has_perm("enrolment.list_official") else ""
        ),
        "overview_url": reverse("billing:official_overview")
        + f"?municipality={document.municipality.code}&month={document.month:%Y-%m}",
    }
    if kind.key == KIND_INVOICE:
        ctx["basis"] = dict(FinancingPeriod.BillingBasis.choices).get(
            document.basis, document.basis
        )
        ctx["boundary_rule"] = dict(FinancingPeriod.BoundaryMonthRule.choices).get(
            document.boundary_rule, document.boundary_rule
        )
        ctx["print_url"] = _print_url(kind, document)
    return render(request, T + "document.html", ctx)


class OverviewView(OfficialMixin, View):
    """/cabinet/billing/: the month's documents of all providers, the waiting ones first."""

    template_name = T + "overview.html"

    def get(self, request):
        user = request.user
        municipalities = _municipalities(user)
        municipality = _pick(municipalities, request.GET.get("municipality"))
        today = clock.today()
        form = OverviewFilterForm(
            _bound(request.GET, municipality, month=f"{calc.month_start(today):%Y-%m}"),
            municipalities=municipalities,
            providers=Provider.objects.filter(municipality=municipality).order_by("short_name"),
        )
        month = calc.month_start(today)
        advances = AdvanceRequest.objects.for_user(user).filter(municipality=municipality)
        invoices = Invoice.objects.for_user(user).filter(municipality=municipality)
        if form.is_valid():
            data = form.cleaned_data
            month = data["month"] or month
            if data["status"]:
                advances = advances.filter(status=data["status"])
                invoices = invoices.filter(status=data["status"])
            if data["provider"]:
                advances = advances.filter(provider=data["provider"])
                invoices = invoices.filter(provider=data["provider"])
            if data["kind"] == KIND_ADVANCE:
                invoices = invoices.none()
            elif data["kind"] == KIND_INVOICE:
                advances = advances.none()
        else:
            advances, invoices = advances.none(), invoices.none()
        waiting_elsewhere = self._waiting_elsewhere(user, municipality, month)
        advances = advances.filter(month=month).select_related("provider")
        invoices = invoices.filter(month=month).select_related("provider")
        rows = [
            DocRow(KINDS[KIND_ADVANCE], a, reverse("billing:official_advance", args=[a.pk]))
            for a in advances
        ] + [
            DocRow(KINDS[KIND_INVOICE], i, reverse("billing:official_invoice", args=[i.pk]))
            for i in invoices
        ]
        summary = selectors.owed_summary(advances, invoices)
        rows.sort(
            key=lambda r: (
                not r.waiting,
                r.doc.provider.short_name.lower(),
                r.kind.key != KIND_ADVANCE,
            )
        )
        ctx = {
            "form": form,
            "municipality": municipality,
            "month": month,
            "month_label": month_label(month),
            "rows": rows,
            "waiting_count": sum(1 for r in rows if r.waiting),
            "summary": summary,
            "accepted_kopecks": summary.advances.accepted_kopecks
            + summary.invoices.accepted_kopecks,
            "waiting_elsewhere": waiting_elsewhere,
            "is_payer": selectors.is_payer(user, municipality),
            "can_close": manages_municipality(user, municipality),
        }
        template = self.template_name + ("#results" if _htmx_partial(request) else "")
        return _with_vary(render(request, template, ctx))

    @staticmethod
    def _waiting_elsewhere(user, municipality, month) -> list[tuple[str, str, int]]:
        """Other months with documents waiting for the payer: (YYYY-MM, label, count)."""
        counts: Counter = Counter()
        for model in (AdvanceRequest, Invoice):
            rows = (
                model.objects.for_user(user)
                .filter(municipality=municipality, status=Status.SUBMITTED)
                .exclude(month=month)
                .values("month")
                .annotate(n=Count("pk"))
            )
            for row in rows:
                counts[row["month"]] += row["n"]
        return [(f"{m:%Y-%m}", month_label(m), n) for m, n in sorted(counts.items())]


class DocumentView(OfficialMixin, View):
    """The advance request or invoice with its lines, payments and the payer's actions."""

    kind = KIND_INVOICE

    def get(self, request, pk):
        kind = KINDS[self.kind]
        return _document_page(request, kind, _document(request, kind, pk))


class _PayerStepView(OfficialMixin, View):
    """A step of the payer on one document (the payer of its municipality only, else 403)."""

    kind = KIND_INVOICE

    def target(self, request, pk) -> tuple[Kind, Any]:
        kind = KINDS[self.kind]
        return kind, _payer_document(request, kind, pk)


class AcceptView(_PayerStepView):
    def post(self, request, pk):
        kind, document = self.target(request, pk)
        try:
            document = kind.accept(request.user, document)
        except Conflict as exc:
            if exc.code == "already_accepted":
                messages.info(request, exc.message)
            else:
                messages.error(request, exc.message)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"{kind.title} № {document.pk} принят{'а' if kind.key == KIND_ADVANCE else ''}: "
                f"к перечислению {format_kopecks(document.payable_kopecks)} "
                f"до {document.pay_by:%d.%m.%Y}.",
            )
        return redirect(kind.detail_url, pk=pk)


class RejectView(_PayerStepView):
    def post(self, request, pk):
        kind, document = self.target(request, pk)
        form = RejectForm(request.POST)
        if form.is_valid():
            try:
                kind.reject(request.user, document, form.cleaned_data["reason"])
            except DomainError as exc:
                _apply_error(form, exc)
            else:
                messages.success(
                    request,
                    f"{kind.title} № {document.pk} отклонен{'а' if kind.key == KIND_ADVANCE else ''}"
                    ", поставщик уведомлён о причине.",
                )
                return redirect(kind.detail_url, pk=pk)
        return _document_page(request, kind, _document(request, kind, pk), reject_form=form)


class PayView(_PayerStepView):
    """«Записать платёж»: a payment order up to what is still owed on the document."""

    def post(self, request, pk):
        kind, document = self.target(request, pk)
        form = PaymentForm(request.POST)
        if form.is_valid():
            try:
                payment = services.record_payment(
                    actor=request.user, document=document, **form.service_kwargs()
                )
            except DomainError as exc:
                _apply_error(form, exc, PaymentForm.SERVICE_FIELDS)
            else:
                document.refresh_from_db()
                messages.success(
                    request,
                    f"Платёж по п/п № {payment.order_number} от {payment.paid_on:%d.%m.%Y} на "
                    f"{format_kopecks(payment.amount_kopecks)} записан. Осталось оплатить "
                    f"{format_kopecks(document.outstanding_kopecks)}.",
                )
                return redirect(kind.detail_url, pk=pk)
        return _document_page(request, kind, _document(request, kind, pk), pay_form=form)


# --------------------------------------------------------------------------- month run


class RunView(PayerMixin, View):
    """The payer's month run: every provider's documents for the month, once."""

    template_name = T + "run.html"

    def _render(self, request, form, municipality, result=None):
        ctx = {"form": form, "result": result, "municipality": municipality, "is_payer": True}
        if result is not None:
            ctx["result_label"] = month_label(result.month)
        template = self.template_name + ("#run-block" if _htmx_partial(request) else "")
        return _with_vary(render(request, template, ctx))

    def get(self, request):
        municipalities = _municipalities(request.user, payer_only=True)
        municipality = _pick(municipalities, request.GET.get("municipality"))
        form = MonthForm(
            initial={"municipality": municipality.code, "month": _previous_month(clock.today())},
            municipalities=municipalities,
        )
        return self._render(request, form, municipality)

    def post(self, request):
        municipalities = _municipalities(request.user, payer_only=True)
        municipality = _pick(municipalities, request.POST.get("municipality"))
        form = MonthForm(_bound(request.POST, municipality), municipalities=municipalities)
        result = None
        if form.is_valid():
            try:
                result = services.bill_month(
                    actor=request.user, municipality=municipality, month=form.cleaned_data["month"]
                )
            except DomainError as exc:
                _apply_error(form, exc)
        return self._render(request, form, municipality, result)


# ---------------------------------------------------------------------------- payments


class _PaymentsMixin:
    """Payments of one municipality, filtered by the dates paid and the provider."""

    def filtered(self):
        user = self.request.user
        municipalities = _municipalities(user)
        self.municipality = _pick(municipalities, self.request.GET.get("municipality"))
        self.form = PaymentFilterForm(
            _bound(self.request.GET, self.municipality),
            municipalities=municipalities,
            providers=Provider.objects.filter(municipality=self.municipality).order_by(
                "short_name"
            ),
        )
        qs = Payment.objects.for_user(user).filter(municipality=self.municipality)
        if not self.form.is_valid():
            return qs.none()
        data = self.form.cleaned_data
        if data["date_from"]:
            qs = qs.filter(paid_on__gte=data["date_from"])
        if data["date_to"]:
            qs = qs.filter(paid_on__lte=data["date_to"])
        if data["provider"]:
            qs = qs.filter(provider=data["provider"])
        return qs

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
    template_name = T + "payments.html"
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
            is_payer=selectors.is_payer(self.request.user, self.municipality),
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
        municipalities = _municipalities(user)
        municipality = _pick(municipalities, request.GET.get("municipality"))
        form = MonthForm(
            _bound(request.GET, municipality, month=f"{_previous_month(clock.today()):%Y-%m}"),
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
            "is_payer": selectors.is_payer(user, municipality),
        }
        return render(request, T + "reconciliation.html", ctx)


# ------------------------------------------------------------------------ period close


class PeriodListView(OfficialMixin, View):
    """The municipality's periods with their close; the operator closes an ended one."""

    def get(self, request):
        user = request.user
        municipalities = _municipalities(user)
        municipality = _pick(municipalities, request.GET.get("municipality"))
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
        can_close = manages_municipality(user, municipality)
        for period in periods:
            period.closing_row = closings.get(period.pk)
            unfinished = period.closing_row is not None and period.closing_row.finished_at is None
            period.ended = today > period.ends_on
            period.closable = can_close and (
                (period.status == FinancingPeriod.Status.APPROVED and period.ended) or unfinished
            )
        ctx = {
            "periods": periods,
            "municipality": municipality,
            "municipalities": municipalities,
            "can_close": can_close,
            "is_payer": selectors.is_payer(user, municipality),
        }
        return render(request, T + "periods.html", ctx)


class PeriodCloseView(OfficialMixin, View):
    def post(self, request, pk):
        user = request.user
        period = get_object_or_404(
            FinancingPeriod.objects.for_user(user)
            .filter(municipality__in=_municipalities(user))
            .select_related("municipality"),
            pk=pk,
        )
        if not manages_municipality(user, period.municipality):
            raise PermissionDenied
        try:
            closing = services.close_period(actor=user, period=period)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"Период «{period.name}» закрыт: сгорело {format_kopecks(closing.lapsed_kopecks)} "
                f"на {closing.lapsed_certificates} сертификатах, договоров продолжено в следующем "
                f"периоде — {closing.continued_contracts}, завершено — {closing.ended_contracts}.",
            )
        return redirect(
            reverse("billing:official_periods") + f"?municipality={period.municipality.code}"
        )
