"""Pages of financing periods: the officials' list and forms, the period page with a calculator."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView
from rules.contrib.views import PermissionRequiredMixin

from pfdo.common import clock
from pfdo.common.authz import can
from pfdo.common.errors import AccessDenied, DomainError
from pfdo.common.views import ScopedListView, ServiceFormView
from pfdo.financing import selectors, services
from pfdo.financing.forms import (
    CalendarDayForm,
    NominalCategoryForm,
    NormativePreviewForm,
    PeriodForm,
)
from pfdo.financing.models import CalendarDay, FinancingPeriod, NominalCategory
from pfdo.financing.normative import compute


def _flash_error(request, exc: DomainError) -> None:
    """A refused action without a form: the message and each field's reason on top."""
    messages.error(request, exc.message)
    for msgs in exc.fields.values():
        for msg in msgs:
            if msg != exc.message:
                messages.error(request, msg)


class PeriodScopedMixin(LoginRequiredMixin):
    """Loads `self.period` through `for_user` (404 outside scope), then checks `permission` (403)."""

    permission = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.period = get_object_or_404(
            FinancingPeriod.objects.for_user(request.user).select_related("municipality"),
            pk=kwargs["pk"],
        )
        if not can(request.user, self.permission, self.period):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["period"] = self.period
        return ctx

    def get_success_url(self):
        return reverse("financing:period_detail", args=[self.period.pk])


class PeriodListView(PermissionRequiredMixin, ScopedListView):
    """The periods of the official's municipalities, drafts included."""

    model = FinancingPeriod
    permission_required = "financing.list_scope_periods"
    template_name = "financing/period_list.html"
    context_object_name = "periods"

    def get_queryset(self):
        return selectors.periods_in_scope(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_add"] = can(self.request.user, "financing.add_period")
        return ctx


class PeriodCreateView(PermissionRequiredMixin, ServiceFormView):
    permission_required = "financing.add_period"
    template_name = "financing/period_form.html"
    form_class = PeriodForm
    success_message = "Период создан как черновик. Добавьте категории номинала и утвердите его."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["municipalities"] = selectors.manageable_municipalities(self.request.user)
        return kwargs

    def perform(self, form):
        return services.create_period(
            actor=self.request.user,
            municipality=form.chosen_municipality(),
            **form.service_kwargs(),
        )

    def get_success_url(self):
        return reverse("financing:period_detail", args=[self.result.pk])


class PeriodUpdateView(PeriodScopedMixin, ServiceFormView):
    permission = "financing.change_period"
    template_name = "financing/period_form.html"
    form_class = PeriodForm
    success_message = "Изменения сохранены."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["period"] = self.period
        return kwargs

    def perform(self, form):
        return services.update_period(
            actor=self.request.user, period=self.period, **form.service_kwargs()
        )


class PeriodApproveView(PeriodScopedMixin, View):
    permission = "financing.approve_period"

    def post(self, request, pk):
        try:
            services.approve_period(actor=request.user, period=self.period)
        except DomainError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, "Период утверждён.")
        return redirect("financing:period_detail", pk=self.period.pk)


class PeriodDetailView(DetailView):
    """A period's summary, nominals and the normative-cost calculator.

    Approved periods are public (providers and parents see how costs come out); drafts
    only to their officials — the same `for_user` as everywhere.
    """

    template_name = "financing/period_detail.html"
    context_object_name = "period"

    def get_queryset(self):
        return (
            FinancingPeriod.objects.for_user(self.request.user)
            .select_related("municipality")
            .prefetch_related("nominal_categories")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        period, user = self.object, self.request.user
        ctx["categories"] = selectors.categories_of(period)
        ctx["largest_nominal"] = selectors.largest_nominal_kopecks(period)
        ctx["largest_promise"] = selectors.largest_promise_kopecks(period)
        ctx["can_list"] = can(user, "financing.list_scope_periods")
        # Which fields are locked and why is for the officials who edit; the public page
        # (families read it for nominals) does not show the operator's warnings.
        ctx["lock_reason"] = (
            services.lock_reason(period) if period.is_locked and ctx["can_list"] else ""
        )
        ctx["can_edit"] = can(user, "financing.change_period", period)
        ctx["can_approve"] = period.status == FinancingPeriod.Status.DRAFT and can(
            user, "financing.approve_period", period
        )
        ctx["can_edit_nominals"] = (
            period.status != FinancingPeriod.Status.CLOSED
            and not period.is_locked
            and can(user, "financing.change_nominals", period)
        )
        calculator = NormativePreviewForm(self.request.GET if "hours" in self.request.GET else None)
        ctx["calculator"] = calculator
        if calculator.is_bound and calculator.is_valid():
            ctx["normative"] = compute(period, **calculator.cleaned_data)
        return ctx


class NominalCreateView(PeriodScopedMixin, ServiceFormView):
    permission = "financing.change_nominals"
    template_name = "financing/nominal_form.html"
    form_class = NominalCategoryForm
    success_message = "Категория номинала добавлена."

    def perform(self, form):
        return services.add_nominal_category(
            actor=self.request.user, period=self.period, **form.cleaned_data
        )


class NominalCategoryMixin(PeriodScopedMixin):
    permission = "financing.change_nominals"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.category = get_object_or_404(
                NominalCategory.objects.for_user(request.user),
                pk=kwargs["category_pk"],
                period_id=kwargs["pk"],
            )
        return super().dispatch(request, *args, **kwargs)


class NominalUpdateView(NominalCategoryMixin, ServiceFormView):
    template_name = "financing/nominal_form.html"
    form_class = NominalCategoryForm
    success_message = "Категория номинала изменена."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["category"] = self.category
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["category"] = self.category
        return ctx

    def perform(self, form):
        return services.update_nominal_category(
            actor=self.request.user, category=self.category, **form.cleaned_data
        )


class NominalDeleteView(NominalCategoryMixin, View):
    def post(self, request, pk, category_pk):
        try:
            services.delete_nominal_category(actor=request.user, category=self.category)
        except DomainError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, f"Категория «{self.category.name}» удалена.")
        return redirect("financing:period_detail", pk=self.period.pk)


# ------------------------------------------------------------------ production calendar


class CalendarView(LoginRequiredMixin, ServiceFormView):
    """The region's production calendar: the package's days off, the overrides, a form.

    Officials and payers read it; the region's administrator (and a superuser) adds and
    removes overrides. `?region=<code>&year=<YYYY>` choose what is shown.
    """

    template_name = "financing/calendar.html"
    form_class = CalendarDayForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not (
            can(request.user, "financing.list_scope_periods")
            or selectors.calendar_regions(request.user).exists()
        ):
            raise PermissionDenied
        self.region = selectors.calendar_region_for(request.user, request.GET.get("region"))
        if self.region is None:
            raise Http404("Регион не найден.")
        self.year = _year(request.GET.get("year"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["region"] = self.region
        ctx["year"] = self.year
        ctx["regions"] = selectors.calendar_regions_to_read(self.request.user)
        ctx["overrides"] = selectors.calendar_days(self.region, year=self.year)
        ctx["library_days"] = selectors.library_days_of(self.year)
        ctx["can_change"] = can(self.request.user, "financing.change_calendar", self.region)
        return ctx

    def post(self, request, *args, **kwargs):
        if not can(request.user, "financing.change_calendar", self.region):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def perform(self, form):
        row = services.add_calendar_day(
            actor=self.request.user, region=self.region, **form.cleaned_data
        )
        self.success_message = f"{row} — исправление календаря внесено."
        return row

    def get_success_url(self):
        return _calendar_url(self.region, self.year)


class CalendarDayDeleteView(LoginRequiredMixin, View):
    def post(self, request, pk):
        row = get_object_or_404(CalendarDay.objects.for_user(request.user), pk=pk)
        try:
            services.remove_calendar_day(actor=request.user, calendar_day=row)
        except AccessDenied as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, f"{row} — исправление удалено, действует общий календарь.")
        return redirect(_calendar_url(row.region, row.day.year))


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return clock.today().year
    low, high = services.CALENDAR_YEARS
    return year if low <= year <= high else clock.today().year


def _calendar_url(region, year: int) -> str:
    return f"{reverse('financing:calendar')}?region={region.code}&year={year}"
