"""Pages of the provider's billing: the months overview, the attendance journal, advance
requests and invoices; the printable invoice, which the payer's pages reuse."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import ListView

from pfdo.accounts.roles import Role
from pfdo.billing import calculation as calc
from pfdo.billing import selectors, services
from pfdo.billing.forms.provider import (
    BuildForm,
    CancelLessonForm,
    DocumentFilterForm,
    JournalPickForm,
    MarkForm,
    MoveLessonForm,
    ProviderPickForm,
)
from pfdo.billing.models import AdvanceRequest, DocumentStatus, Invoice, Lesson
from pfdo.common import clock
from pfdo.common.errors import DomainError, ValidationFailed
from pfdo.common.views import apply_domain_error
from pfdo.enrolment import selectors as enrolment_selectors
from pfdo.enrolment.selectors import month_label
from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import Provider
from pfdo.providers.selectors import staff_row_of

T = "billing/provider/"
PRINT_TEMPLATE = "billing/invoice_print.html"
Status = DocumentStatus
REBUILDABLE = (Status.DRAFT, Status.REJECTED)
HOME_MONTHS = 12  # the overview shows the last year; older documents are in the lists


class StaffMixin(LoginRequiredMixin):
    """Provider staff only (403 for other roles); documents, groups and lessons come from
    the providers they work for (anything else is 404)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_role(Role.PROVIDER_STAFF):
            raise PermissionDenied
        self.provider_ids = sorted(selectors.staff_provider_ids(request.user))
        if not self.provider_ids:
            return render(request, T + "none.html")
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
    """One month of the overview: its documents and what may be built now."""

    month: dt.date
    label: str
    advance: AdvanceRequest | None
    invoice: Invoice | None
    advance_opens: dt.date | None = None
    invoice_opens: dt.date | None = None
    can_build_advance: bool = False
    can_build_invoice: bool = False
    advance_note: str = ""
    invoice_note: str = ""


def _month_row(provider: Provider, month: dt.date, advance, invoice, today: dt.date) -> MonthRow:
    row = MonthRow(month=month, label=month_label(month), advance=advance, invoice=invoice)
    period = selectors.period_of_month(provider.municipality_id, month)
    if period is None:
        if advance is None and invoice is None:
            row.invoice_note = "Нет программы персонифицированного финансирования."
        return row
    row.advance_opens = services.advance_opens_on(period, month)
    row.invoice_opens = services.invoice_opens_on(period, month)
    if advance is None:
        if invoice is None and today < row.advance_opens:
            row.advance_note = f"Можно сформировать с {row.advance_opens:%d.%m.%Y}."
        elif invoice is None and today <= calc.month_end(month):
            row.can_build_advance = True
        else:
            row.advance_note = "Не подавалась: месяц оплачивается по счёту."
    if invoice is None:
        if advance is not None and advance.status == Status.SUBMITTED:
            row.invoice_note = "Счёт формируется после решения плательщика по авансу."
        elif today < row.invoice_opens:
            row.invoice_note = f"Можно сформировать с {row.invoice_opens:%d.%m.%Y}."
        else:
            row.can_build_invoice = True
    return row


def month_rows(provider: Provider, advances, invoices, today: dt.date) -> list[MonthRow]:
    """The last months of the provider's financing periods, newest first, with documents."""
    current = calc.month_start(today)
    first = current
    for _ in range(HOME_MONTHS - 1):
        first = calc.previous_month(first)
    months: set[dt.date] = set()
    periods = (
        FinancingPeriod.objects.filter(municipality_id=provider.municipality_id)
        .exclude(status=FinancingPeriod.Status.DRAFT)
        .filter(starts_on__lte=today, ends_on__gte=first)
    )
    for period in periods:
        month = max(calc.month_start(period.starts_on), first)
        last = min(calc.month_start(period.ends_on), current)
        while month <= last:
            months.add(month)
            month = calc.next_month(month)
    advance_of = {a.month: a for a in advances.filter(provider=provider, month__gte=first)}
    invoice_of = {i.month: i for i in invoices.filter(provider=provider, month__gte=first)}
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
        return render(request, T + "home.html", ctx)


class _DocumentMixin(StaffMixin):
    """One kind of the provider's documents: its steps are the services `<step>_<kind>`,
    which take the document as the keyword `<kind>`; its page is `provider_<kind>`."""

    kind = ""  # "advance" or "invoice"
    related: tuple[str, ...] = ()
    # Messages of the steps, with {month} («октябрь 2026»).
    built = submitted = rebuilt = ""

    def documents(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def document(self, pk):
        return get_object_or_404(self.documents().select_related(*self.related), pk=pk)

    def service(self, step: str):
        return getattr(services, f"{step}_{self.kind}")

    def success(self, request, text: str, document) -> None:
        messages.success(request, text.format(month=month_label(document.month)))

    def back(self, document):
        return redirect(f"billing:provider_{self.kind}", pk=document.pk)


class _AdvanceMixin(_DocumentMixin):
    kind = "advance"
    related = ("period", "municipality")
    built = "Заявка на аванс за {month} сформирована: проверьте её и подайте плательщику."
    submitted = "Заявка на аванс за {month} подана плательщику."
    rebuilt = "Заявка на аванс за {month} пересчитана по действующим договорам."

    def documents(self):
        return self.advances()


class _InvoiceMixin(_DocumentMixin):
    kind = "invoice"
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
            document = self.service("build")(
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
        qs = self.base()
        if criteria.get("month"):
            qs = qs.filter(month=criteria["month"])
        if criteria.get("status"):
            qs = qs.filter(status=criteria["status"])
        if criteria.get("provider"):
            qs = qs.filter(provider=criteria["provider"])
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
    template_name = T + "advances.html"
    list_url = "billing:provider_advances"

    def base(self):
        return self.advances()

    def owed(self, qs):
        return selectors.owed_summary(qs, Invoice.objects.none()).advances


class InvoiceListView(_DocumentListView):
    template_name = T + "invoices.html"
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
    """The document's page (`<kind>.html`, the document as `<kind>`) with its lines."""

    def extra_context(self, document) -> dict:
        return {}

    def get(self, request, pk):
        document = self.document(pk)
        _labelled([document])
        ctx = {
            self.kind: document,
            "lines": _lines(document),
            "payments": document.payments.order_by("paid_on", "pk"),
            "can_submit": document.status == Status.DRAFT,
            "can_rebuild": document.status in REBUILDABLE,
            "several": len(self.provider_ids) > 1,
            **self.extra_context(document),
        }
        return render(request, T + f"{self.kind}.html", ctx)


class _SubmitView(View):
    def post(self, request, pk):
        document = self.document(pk)
        try:
            self.service("submit")(actor=request.user, **{self.kind: document})
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            self.success(request, self.submitted, document)
        return self.back(document)


class _RebuildView(View):
    def post(self, request, pk):
        document = self.document(pk)
        try:
            document = self.service("build")(
                actor=request.user, provider=document.provider, month=document.month
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            self.success(request, self.rebuilt, document)
        return self.back(document)


class AdvanceView(_AdvanceMixin, _DocumentView):
    pass


class AdvanceSubmitView(_AdvanceMixin, _SubmitView):
    pass


class AdvanceRebuildView(_AdvanceMixin, _RebuildView):
    pass


class InvoiceView(_InvoiceMixin, _DocumentView):
    def extra_context(self, invoice) -> dict:
        if invoice.carry_from is not None:
            _labelled([invoice.carry_from])
        return _setting_labels(invoice)


class InvoiceSubmitView(_InvoiceMixin, _SubmitView):
    pass


class InvoiceRebuildView(_InvoiceMixin, _RebuildView):
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


# ---------------------------------------------------------------------------- journal


def journal_url(group, month: dt.date) -> str:
    return reverse("billing:provider_journal", args=[group.pk]) + f"?month={month:%Y-%m}"


class JournalPickView(StaffMixin, View):
    """Choose a group and a month; the journal itself is at the group's address."""

    def get(self, request):
        groups = enrolment_selectors.provider_groups(request.user)
        current = calc.month_start(clock.today())
        form = JournalPickForm(request.GET or None, groups=groups, initial={"month": current})
        if form.is_bound and form.is_valid():
            return redirect(journal_url(form.cleaned_data["group"], form.cleaned_data["month"]))
        ctx = {"form": form, "groups": groups, "month": current}
        return render(request, T + "journal_pick.html", ctx)


@dataclass
class Cell:
    lesson: Lesson
    contract_id: int
    mark: bool | None  # came / did not / not marked
    in_force: bool
    editable: bool
    checked: bool


@dataclass
class Row:
    name: str
    number: str
    cells: list[Cell]
    attended: int


@dataclass
class Column:
    lesson: Lesson
    markable: bool
    future: bool
    mark_form: forms.Form | None = None
    cancel_form: forms.Form | None = None
    move_form: forms.Form | None = None
    restore_form: forms.Form | None = None
    children: int = 0
    present: int = 0

    @property
    def action_errors(self) -> list[str]:
        """Refusals of a change to the lesson, shown even where its forms are not."""
        out: list[str] = []
        for form in (self.cancel_form, self.move_form, self.restore_form):
            if form is not None and form.is_bound:
                out.extend(str(e) for errors in form.errors.values() for e in errors)
        return out


def _lesson_forms(lesson: Lesson, bound: dict) -> dict:
    prefix = f"id_l{lesson.pk}_%s"
    return {
        "mark": bound.get("mark") or MarkForm(auto_id=prefix),
        "cancel": bound.get("cancel") or CancelLessonForm(auto_id=prefix),
        "move": bound.get("move")
        or MoveLessonForm(auto_id=prefix, initial=MoveLessonForm.initial_for(lesson)),
        "restore": bound.get("restore") or forms.Form(auto_id=prefix),
    }


def journal_context(group, month: dt.date, *, bound=None, notice: str = "") -> dict:
    """The sheet of a group's month: columns per lesson, rows per child, the lessons' forms.

    `bound` holds the forms of one lesson that failed ({lesson id: {"mark": form, …}}), so
    their messages show where they were typed.
    """
    bound = bound or {}
    lessons = services.ensure_lessons(group=group, month=month)
    sheet = selectors.journal(group, month, lessons)
    today = clock.today()
    columns = []
    for lesson in sheet.lessons:
        in_force = [r for r in sheet.rows if r.in_force[lesson.pk]]
        own = _lesson_forms(lesson, bound.get(lesson.pk, {}))
        columns.append(
            Column(
                lesson=lesson,
                markable=not sheet.locked
                and not lesson.is_cancelled
                and lesson.held_on <= today
                and bool(in_force),
                future=lesson.held_on > today,
                mark_form=own["mark"],
                cancel_form=own["cancel"],
                move_form=own["move"],
                restore_form=own["restore"],
                children=len(in_force),
                present=sum(1 for r in in_force if r.marks[lesson.pk]),
            )
        )
    rows = []
    for r in sheet.rows:
        cells = []
        for column in columns:
            pk = column.lesson.pk
            mark = r.marks[pk]
            form = column.mark_form
            checked = bool(mark)
            if form.is_bound:
                # Show what was just sent, not what is stored, next to its message.
                checked = str(r.contract.pk) in form.data.getlist("present")
            cells.append(
                Cell(
                    lesson=column.lesson,
                    contract_id=r.contract.pk,
                    mark=mark,
                    in_force=r.in_force[pk],
                    editable=column.markable and r.in_force[pk],
                    checked=checked,
                )
            )
        rows.append(
            Row(
                name=r.name,
                number=r.contract.number or "",
                cells=cells,
                attended=sum(1 for c in cells if c.mark),
            )
        )
    return {
        "group": group,
        "month": month,
        "month_label": month_label(month),
        "journal": sheet,
        "columns": columns,
        "rows": rows,
        "notice": notice,
        "prev_url": journal_url(group, calc.previous_month(month)),
        "next_url": journal_url(group, calc.next_month(month)),
        "today": today,
    }


def _journal_response(request, group, month, *, bound=None, notice: str = ""):
    ctx = journal_context(group, month, bound=bound, notice=notice)
    template = T + "journal.html"
    if request.htmx:
        template += "#journal"
    return render(request, template, ctx)


class JournalView(StaffMixin, View):
    def get(self, request, group_id):
        group = get_object_or_404(enrolment_selectors.provider_groups(request.user), pk=group_id)
        month = calc.month_start(clock.today())
        raw = request.GET.get("month", "")
        if raw:
            try:
                month = services.parse_month(raw)
            except ValidationFailed as exc:
                messages.error(request, exc.message)
        return _journal_response(request, group, month)


class _LessonActionView(StaffMixin, View):
    """A change to one lesson; on success back to the journal (or its block for htmx), on a
    refusal the journal with the message next to the lesson and nothing written."""

    http_method_names = ["post"]
    key = ""

    def make_form(self, data, lesson):
        return forms.Form(data, auto_id=f"id_l{lesson.pk}_%s")

    def perform(self, request, lesson, form) -> tuple[str, dt.date]:  # pragma: no cover
        raise NotImplementedError

    def apply_error(self, form, exc: DomainError) -> None:
        apply_domain_error(form, exc)

    def post(self, request, pk):
        lesson = get_object_or_404(
            Lesson.objects.for_user(request.user)
            .filter(group__module__program__provider_id__in=self.provider_ids)
            .select_related("group__module__program"),
            pk=pk,
        )
        month = calc.month_start(lesson.held_on)
        form = self.make_form(request.POST, lesson)
        if form.is_valid():
            try:
                notice, month = self.perform(request, lesson, form)
            except DomainError as exc:
                self.apply_error(form, exc)
            else:
                if request.htmx:
                    return _journal_response(request, lesson.group, month, notice=notice)
                messages.success(request, notice)
                return redirect(journal_url(lesson.group, month))
        return _journal_response(request, lesson.group, month, bound={lesson.pk: {self.key: form}})


class LessonMarkView(_LessonActionView):
    key = "mark"

    def make_form(self, data, lesson):
        return MarkForm(data, auto_id=f"id_l{lesson.pk}_%s")

    def apply_error(self, form, exc):
        # A refusal of the column (future lesson, cancelled, month invoiced) belongs to it.
        if exc.fields:
            apply_domain_error(form, exc)
        else:
            form.add_error("marks", exc.message)

    def perform(self, request, lesson, form):
        marks = form.as_marks()
        services.mark_attendance(actor=request.user, lesson=lesson, marks=marks)
        came = sum(1 for present in marks.values() if present)
        notice = (
            f"Посещаемость за {lesson.held_on:%d.%m.%Y} сохранена: "
            f"присутствовали {came} из {len(marks)}."
        )
        return notice, calc.month_start(lesson.held_on)


class LessonCancelView(_LessonActionView):
    key = "cancel"

    def make_form(self, data, lesson):
        return CancelLessonForm(data, auto_id=f"id_l{lesson.pk}_%s")

    def perform(self, request, lesson, form):
        done = services.cancel_lesson(
            actor=request.user, lesson=lesson, reason=form.cleaned_data["reason"]
        )
        return (
            f"Занятие {done.held_on:%d.%m.%Y} отменено.",
            calc.month_start(done.held_on),
        )


class LessonRestoreView(_LessonActionView):
    key = "restore"

    def perform(self, request, lesson, form):
        done = services.restore_lesson(actor=request.user, lesson=lesson)
        return (
            f"Занятие {done.held_on:%d.%m.%Y} восстановлено.",
            calc.month_start(done.held_on),
        )


class LessonMoveView(_LessonActionView):
    key = "move"

    def make_form(self, data, lesson):
        return MoveLessonForm(data, auto_id=f"id_l{lesson.pk}_%s")

    def perform(self, request, lesson, form):
        data = form.cleaned_data
        done = services.move_lesson(
            actor=request.user,
            lesson=lesson,
            held_on=data["held_on"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
        )
        return (
            f"Занятие перенесено на {done.held_on:%d.%m.%Y} "
            f"{done.starts_at:%H:%M}–{done.ends_at:%H:%M}.",
            calc.month_start(done.held_on),
        )
