"""Billing pages of the payer and the municipality's officials for one month's documents:
the overview, an advance request or invoice with its lines, and the payer's decisions and
payments on it (the payer acts, operators and the region read)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from pfdo.billing import selectors, services
from pfdo.billing.filters import AdvanceRequestFilter, InvoiceFilter
from pfdo.billing.forms.payer import (
    KIND_ADVANCE,
    KIND_INVOICE,
    OverviewFilterForm,
    PaymentForm,
    RejectForm,
)
from pfdo.billing.models import AdvanceRequest, DocumentStatus, Invoice
from pfdo.billing.views.official_common import (
    TEMPLATES,
    OfficialMixin,
    apply_error,
    bound,
    htmx_partial,
    municipalities_of,
    pick,
    with_vary,
)
from pfdo.common import clock
from pfdo.common.authz import can
from pfdo.common.errors import Conflict, DomainError
from pfdo.common.money import format_kopecks
from pfdo.common.months import format_month, month_label, month_start
from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import Provider

Status = DocumentStatus
LINES_PER_PAGE = 100


@dataclass(frozen=True)
class Kind:
    """A kind of document on these pages: its title and page, and its steps."""

    key: str
    model: type
    title: str
    detail_url: str
    steps: services.DocumentKind

    def accept(self, actor, document):
        return self.steps.accept(actor, document)

    def reject(self, actor, document, reason: str):
        return self.steps.reject(actor, document, reason)


KINDS = {
    KIND_ADVANCE: Kind(
        KIND_ADVANCE,
        AdvanceRequest,
        "Заявка на аванс",
        "billing:official_advance",
        services.ADVANCE,
    ),
    KIND_INVOICE: Kind(KIND_INVOICE, Invoice, "Счёт", "billing:official_invoice", services.INVOICE),
}


def _document(request, kind: Kind, pk: int):
    """The document if it belongs to one of the user's municipalities (else 404)."""
    user = request.user
    qs = (
        kind.model.objects.for_user(user)
        .filter(municipality__in=municipalities_of(user))
        .select_related("provider", "municipality", "period", "submitted_by", "decided_by")
    )
    return get_object_or_404(qs, pk=pk)


def _payer_document(request, kind: Kind, pk: int):
    """As `_document`, for actions: only the payer of the document's municipality (else 403)."""
    document = _document(request, kind, pk)
    if not can(request.user, "billing.decide", document):
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
    payer = can(user, "billing.decide", document)
    lines = document.lines.select_related("contract__group__module__program").order_by(
        "contract__number", "pk"
    )
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    outstanding = document.outstanding_kopecks
    can_pay = payer and services.payment_refusal(document) is None
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
        "can_decide": payer and services.decide_refusal(document) is None,
        "can_pay": can_pay,
        "reject_form": reject_form or RejectForm(),
        "pay_form": pay_form
        or PaymentForm(initial={"paid_on": clock.today(), "amount": outstanding}),
        "contract_url": (
            "enrolment:operator_contract" if can(user, "enrolment.list_official") else ""
        ),
        "overview_url": reverse("billing:official_overview")
        + f"?municipality={document.municipality.code}&month={format_month(document.month)}",
    }
    if kind.key == KIND_INVOICE:
        ctx["basis"] = dict(FinancingPeriod.BillingBasis.choices).get(
            document.basis, document.basis
        )
        ctx["boundary_rule"] = dict(FinancingPeriod.BoundaryMonthRule.choices).get(
            document.boundary_rule, document.boundary_rule
        )
        ctx["print_url"] = _print_url(kind, document)
    return render(request, TEMPLATES + "document.html", ctx)


class OverviewView(OfficialMixin, View):
    """/cabinet/billing/: the month's documents of all providers, the waiting ones first."""

    template_name = TEMPLATES + "overview.html"

    def get(self, request):
        user = request.user
        municipalities = municipalities_of(user)
        municipality = pick(municipalities, request.GET.get("municipality"))
        today = clock.today()
        form = OverviewFilterForm(
            bound(request.GET, municipality, month=format_month(month_start(today))),
            municipalities=municipalities,
            providers=Provider.objects.filter(municipality=municipality).order_by("short_name"),
        )
        month = month_start(today)
        advances = AdvanceRequest.objects.for_user(user).filter(municipality=municipality)
        invoices = Invoice.objects.for_user(user).filter(municipality=municipality)
        if form.is_valid():
            data = form.cleaned_data
            month = data["month"] or month
            # The form checks what the page offers; the API's FilterSets apply it.
            query = {
                "status": data["status"] or "",
                "provider": data["provider"].pk if data["provider"] else "",
            }
            advances = AdvanceRequestFilter(query, queryset=advances).qs
            invoices = InvoiceFilter(query, queryset=invoices).qs
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
            "is_payer": can(user, "billing.decide", municipality),
            "can_close": can(user, "billing.close_period", municipality),
        }
        template = self.template_name + ("#results" if htmx_partial(request) else "")
        return with_vary(render(request, template, ctx))

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
        return [(format_month(m), month_label(m), n) for m, n in sorted(counts.items())]


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
                apply_error(form, exc)
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
                apply_error(form, exc, PaymentForm.SERVICE_FIELDS)
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
