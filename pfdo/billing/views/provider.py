"""Pages of the provider's billing: the months overview, advance requests and invoices;
the printable invoice, which the payer's pages reuse. (The journal is in `journal`.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import ListView

from pfdo.billing import selectors, services
from pfdo.billing.filters import AdvanceRequestFilter, InvoiceFilter
from pfdo.billing.forms.provider import BuildForm, DocumentFilterForm, ProviderPickForm
from pfdo.billing.models import AdvanceRequest, DocumentStatus, Invoice
from pfdo.common import clock
from pfdo.common.authz import can
from pfdo.common.errors import DomainError
from pfdo.common.months import add_months, format_month, iter_months, month_label, month_start
from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import Provider, staffed_provider_ids
from pfdo.providers.selectors import staff_row_of

TEMPLATES = "billing/provider/"
PRINT_TEMPLATE = "billing/invoice_print.html"
Status = DocumentStatus
HOME_MONTHS = 12  # the overview shows the last year; older documents are in the lists


class StaffMixin(LoginRequiredMixin):
    """Provider staff only (403 for other roles); documents, groups and lessons come from
    the providers they work for (anything else is 404)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not can(request.user, "billing.provider_pages"):
            raise PermissionDenied
        self.provider_ids = sorted(staffed_provider_ids(request.user))
        if not self.provider_ids:
            return render(request, TEMPLATES + "none.html")
        return super().dispatch(request, *args, **kwargs)

    def providers(self):
        return (
            Provider.objects.filter(pk__in=self.provider_ids)
            .select_related("municipality")
            .order_by("short_name", "pk")
        )

    def advances(self):
        return (
            AdvanceRequest.objects.for_user(self.request.user)
            .filter(provider_id__in=self.provider_ids)
            .select_related("provider")
        )

    def invoices(self):
        return (
            Invoice.objects.for_user(self.request.user)
            .filter(provider_id__in=self.provider_ids)
            .select_related("provider")
        )


def _labelled(documents):
    """Give each document `month_label` («октябрь 2026») for the page."""
    for doc in documents:
        doc.month_label = month_label(doc.month)
    return documents


def _home_url(provider_id=None) -> str:
    url = reverse("billing:provider_billing")
    return f"{url}?provider={provider_id}" if provider_id else url


# ------------------------------------------------------------------------------- home


@dataclass
class MonthRow:
    """One month of the overview: its documents, and for a missing one whether it may be
    built now or the reason it may not (the service's own refusal)."""

    month: dt.date
    label: str
    advance: AdvanceRequest | None
    invoice: Invoice | None
    can_build_advance: bool = False
    can_build_invoice: bool = False
    advance_note: str = ""
    invoice_note: str = ""


def _month_row(provider: Provider, month: dt.date, advance, invoice, today: dt.date) -> MonthRow:
    row = MonthRow(month=month, label=month_label(month), advance=advance, invoice=invoice)
    if advance is None:
        refusal = services.ADVANCE.refusal(provider=provider, month=month, today=today)
        row.can_build_advance = refusal is None
        row.advance_note = refusal.message if refusal else ""
    if invoice is None:
        refusal = services.INVOICE.refusal(provider=provider, month=month, today=today)
        row.can_build_invoice = refusal is None
        row.invoice_note = refusal.message if refusal else ""
    return row


def month_rows(provider: Provider, advances, invoices, today: dt.date) -> list[MonthRow]:
    """The last months of the provider's financing periods, newest first, with documents."""
    current = month_start(today)
    first = add_months(current, 1 - HOME_MONTHS)
    months: set[dt.date] = set()
    periods = (
        FinancingPeriod.objects.filter(municipality_id=provider.municipality_id)
        .exclude(status=FinancingPeriod.Status.DRAFT)
        .filter(starts_on__lte=today, ends_on__gte=first)
    )
    for period in periods:
        start = max(month_start(period.starts_on), first)
        months.update(iter_months(start, min(month_start(period.ends_on), current)))
    advance_of = {a.month: a for a in advances.filter(provider=provider, month__gte=first)}
    invoice_of = {
        i.month: i
        for i in invoices.filter(provider=provider, month__gte=first, kind=Invoice.Kind.MAIN)
    }
    months |= set(advance_of) | set(invoice_of)
    return [
        _month_row(provider, m, advance_of.get(m), invoice_of.get(m), today)
        for m in sorted(months, reverse=True)
    ]


class HomeView(StaffMixin, View):
    def get(self, request):
        providers = self.providers()
        raw = request.GET.get("provider", "")
        if raw:
            if not raw.isdigit():
                raise Http404
            provider = get_object_or_404(providers, pk=int(raw))
        else:
            row = staff_row_of(request.user)
            provider = row.provider if row is not None else providers.first()
        advances = self.advances().filter(provider=provider)
        invoices = self.invoices().filter(provider=provider)
        today = clock.today()
        ctx = {
            "provider": provider,
            "several": len(self.provider_ids) > 1,
            "pick_form": ProviderPickForm(initial={"provider": provider}, providers=providers),
            "months": month_rows(provider, advances, invoices, today),
            "owed": selectors.owed_summary(advances, invoices),
            "today": today,
        }
        return render(request, TEMPLATES + "home.html", ctx)


class _DocumentMixin(StaffMixin):
    """One kind of the provider's documents: its steps are the entries of `kind`
    (`services.ADVANCE` / `services.INVOICE`); its page is `provider_<kind.key>`."""

    kind: services.DocumentKind
    related: tuple[str, ...] = ()
    # Messages of the steps, with {month} («октябрь 2026»).
    built = submitted = rebuilt = ""

    def documents(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def document(self, pk):
        return get_object_or_404(self.documents().select_related(*self.related), pk=pk)

    def success(self, request, text: str, document) -> None:
        messages.success(request, text.format(month=month_label(document.month)))

    def back(self, document):
        return redirect(self.detail_url, pk=document.pk)


class _AdvanceMixin(_DocumentMixin):
    kind = services.ADVANCE
    detail_url = "billing:provider_advance"
    related = ("period", "municipality")
    built = "Заявка на аванс за {month} сформирована: проверьте её и подайте плательщику."
    submitted = "Заявка на аванс за {month} подана плательщику."
    rebuilt = "Заявка на аванс за {month} пересчитана по действующим договорам."

    def documents(self):
        return self.advances()


class _InvoiceMixin(_DocumentMixin):
    kind = services.INVOICE
    detail_url = "billing:provider_invoice"
    related = ("period", "municipality", "carry_from")
    built = "Счёт за {month} сформирован: проверьте его и подайте плательщику."
    submitted = (
        "Счёт за {month} подан плательщику. Журнал посещаемости этого месяца закрыт для изменений."
    )
    rebuilt = "Счёт за {month} сформирован заново по договорам и журналу."

    def documents(self):
        return self.invoices()


class _BuildView(View):
    """«Сформировать …»: one service call; a refusal is shown and nothing changes."""

    http_method_names = ["post"]

    def post(self, request):
        providers = self.providers()
        raw = request.POST.get("provider", "")
        # Another provider's id: not found, like any document of theirs.
        if raw.isdigit() and not providers.filter(pk=int(raw)).exists():
            raise Http404
        form = BuildForm(request.POST, providers=providers)
        back = _home_url(raw if raw.isdigit() else None)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        data = form.cleaned_data
        try:
            document = self.kind.build(
                actor=request.user, provider=data["provider"], month=data["month"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        self.success(request, self.built, document)
        return self.back(document)


class AdvanceBuildView(_AdvanceMixin, _BuildView):
    pass


class InvoiceBuildView(_InvoiceMixin, _BuildView):
    pass


class _CorrectionMixin(_InvoiceMixin):
    """The correction of a month billed ahead: built by its own service, shown as an invoice."""

    kind = replace(services.INVOICE, build=services.build_correction)
    built = "Корректировка за {month} сформирована: проверьте её и подайте плательщику."
    rebuilt = "Корректировка за {month} пересчитана по договорам и журналу."


class CorrectionBuildView(_CorrectionMixin, _BuildView):
    pass


# ------------------------------------------------------------------------------ lists


class _DocumentListView(StaffMixin, ListView):
    paginate_by = 50
    context_object_name = "documents"
    statuses = tuple(Status)
    list_url = ""

    def base(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_queryset(self):
        self.form = DocumentFilterForm(
            self.request.GET or None, providers=self.providers(), statuses=self.statuses
        )
        criteria = self.form.criteria()
        if criteria is None:
            return self.base().none()
        # The form checks what the page offers; the API's FilterSet applies it.
        query = {
            "month": format_month(criteria["month"]) if criteria.get("month") else "",
            "status": criteria.get("status") or "",
            "provider": criteria["provider"].pk if criteria.get("provider") else "",
        }
        qs = self.filterset_class(query, queryset=self.base()).qs
        self.filtered = qs
        return qs.order_by("-month", "provider__short_name", "pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filtered = getattr(self, "filtered", self.base().none())
        ctx.update(
            documents=_labelled(list(ctx["documents"])),
            filter_form=self.form,
            several=len(self.provider_ids) > 1,
            list_href=reverse(self.list_url),
            owed=self.owed(filtered),
        )
        return ctx


class AdvanceListView(_DocumentListView):
    template_name = TEMPLATES + "advances.html"
    filterset_class = AdvanceRequestFilter
    list_url = "billing:provider_advances"

    def base(self):
        return self.advances()

    def owed(self, qs):
        return selectors.owed_summary(qs, Invoice.objects.none()).advances


class InvoiceListView(_DocumentListView):
    template_name = TEMPLATES + "invoices.html"
    filterset_class = InvoiceFilter
    statuses = (Status.DRAFT, Status.SUBMITTED, Status.ACCEPTED, Status.REJECTED)
    list_url = "billing:provider_invoices"

    def base(self):
        return self.invoices()

    def owed(self, qs):
        return selectors.owed_summary(AdvanceRequest.objects.none(), qs).invoices


# ----------------------------------------------------------- advance request, invoice


def _lines(document):
    return document.lines.select_related("contract__child").order_by("contract__number", "pk")


def _setting_labels(invoice: Invoice) -> dict:
    basis = FinancingPeriod.BillingBasis
    rule = FinancingPeriod.BoundaryMonthRule
    return {
        "basis_label": dict(basis.choices).get(invoice.basis, invoice.basis),
        "rule_label": dict(rule.choices).get(invoice.boundary_rule, invoice.boundary_rule),
    }


class _DocumentView(View):
    """The document's page (`template_name`, the document as `<kind.key>`) with its lines."""

    def extra_context(self, document) -> dict:
        return {}

    def get(self, request, pk):
        document = self.document(pk)
        _labelled([document])
        ctx = {
            self.kind.key: document,
            "lines": _lines(document),
            "payments": document.payments.order_by("paid_on", "pk"),
            "can_submit": services.submit_refusal(document) is None,
            "can_rebuild": services.rebuild_refusal(document) is None,
            "several": len(self.provider_ids) > 1,
            **self.extra_context(document),
        }
        return render(request, self.template_name, ctx)


class _SubmitView(View):
    def post(self, request, pk):
        document = self.document(pk)
        try:
            self.kind.submit(request.user, document)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            self.success(request, self.submitted, document)
        return self.back(document)


class _RebuildView(View):
    def post(self, request, pk):
        document = self.document(pk)
        try:
            document = self.kind.build(
                actor=request.user, provider=document.provider, month=document.month
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            self.success(request, self.rebuilt, document)
        return self.back(document)


class AdvanceView(_AdvanceMixin, _DocumentView):
    template_name = TEMPLATES + "advance.html"


class AdvanceSubmitView(_AdvanceMixin, _SubmitView):
    pass


class AdvanceRebuildView(_AdvanceMixin, _RebuildView):
    pass


class InvoiceView(_InvoiceMixin, _DocumentView):
    template_name = TEMPLATES + "invoice.html"

    def extra_context(self, invoice) -> dict:
        if invoice.carry_from is not None:
            _labelled([invoice.carry_from])
        extra = {"can_supplement": False, "can_correct": False}
        if invoice.is_main and invoice.status == Status.ACCEPTED:
            provider, month = invoice.provider, invoice.month
            extra["can_supplement"] = (
                services.supplementary_refusal(provider=provider, month=month) is None
            )
            extra["can_correct"] = (
                services.correction_refusal(provider=provider, month=month) is None
            )
        return {**_setting_labels(invoice), **extra}


class InvoiceSubmitView(_InvoiceMixin, _SubmitView):
    pass


class InvoiceRebuildView(_InvoiceMixin, _RebuildView):
    def post(self, request, pk):
        if self.document(pk).is_correction:
            return CorrectionRebuildView.as_view()(request, pk=pk)
        return super().post(request, pk)


class CorrectionRebuildView(_CorrectionMixin, _RebuildView):
    pass


def render_invoice_print(request, invoice: Invoice):
    """The printable invoice with its lines (child's short name only, no identifiers).

    Callers pass an invoice they fetched through `Invoice.objects.for_user`.
    """
    _labelled([invoice])
    ctx = {
        "invoice": invoice,
        "provider": invoice.provider,
        "lines": _lines(invoice),
        "payments": invoice.payments.order_by("paid_on", "pk"),
        **_setting_labels(invoice),
    }
    return render(request, PRINT_TEMPLATE, ctx)


@login_required
def invoice_print(request, pk: int):
    """The printable invoice for anyone who may see it: the provider's staff, the payer,
    the municipality's officials (404 for everyone else)."""
    invoice = get_object_or_404(
        Invoice.objects.for_user(request.user).select_related("provider", "municipality", "period"),
        pk=pk,
    )
    return render_invoice_print(request, invoice)
