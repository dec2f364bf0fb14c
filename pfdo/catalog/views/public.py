"""Public catalogue pages (no login): the filtered list of programmes and a programme's page."""

from __future__ import annotations

from django.utils.cache import patch_vary_headers
from django.views.generic import ListView

from pfdo.accounts.roles import Role
from pfdo.catalog import selectors
from pfdo.catalog.filters import ORDERING_CHOICES, PRICE_CHOICES, REGISTRY_CHOICES, ProgramFilter
from pfdo.catalog.models import Program, ScheduleEntry
from pfdo.certificates import selectors as certificate_selectors
from pfdo.common.choices import Direction
from pfdo.common.forms import select_options
from pfdo.common.views import ScopedDetailView
from pfdo.providers.models import Provider
from pfdo.territory import selectors as territory_selectors
from pfdo.territory.models import Municipality

FILTER_KEYS = (
    "direction",
    "age",
    "provider",
    "district",
    "address",
    "weekday",
    "time_from",
    "time_to",
    "free_places",
    "price",
    "registry",
)


class CatalogView(ListView):
    """/catalog/: search, filters, sorting and pages; htmx requests get the results only."""

    template_name = "catalog/public/list.html"
    context_object_name = "programs"
    paginate_by = 20

    def filter_data(self):
        data = self.request.GET.copy()
        if not data:
            # The first visit shows the municipality this site serves; "all" is a choice away.
            served = territory_selectors.served_municipality()
            if served:
                data["municipality"] = served.code
        return data

    def get_queryset(self):
        self.filterset = ProgramFilter(
            self.filter_data(),
            queryset=selectors.catalog_programs(self.request.user),
            request=self.request,
        )
        return self.filterset.qs

    def get_template_names(self):
        htmx = getattr(self.request, "htmx", None)
        if htmx and not htmx.history_restore_request:
            return [f"{self.template_name}#results"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = self.filterset.form
        ctx["programs"] = selectors.attach_card_extras(ctx["programs"])
        ctx["form"] = form
        ctx["filter_errors"] = [
            (form.fields[name].label if name in form.fields else "", messages)
            for name, messages in form.errors.items()
        ]
        ctx["values"] = {name: form.data.get(name, "") for name in form.fields}
        ctx["filters_active"] = any(ctx["values"].get(k) for k in FILTER_KEYS)
        ctx["directions"] = Direction.choices
        ctx["weekdays"] = ScheduleEntry.Weekday.choices
        ctx["prices"] = PRICE_CHOICES
        ctx["registries"] = REGISTRY_CHOICES
        ctx["orderings"] = ORDERING_CHOICES
        if not getattr(self.request, "htmx", None):
            ctx["municipalities"] = Municipality.objects.for_user(self.request.user).filter(
                is_active=True
            )
            ctx["provider_options"] = select_options(
                selectors.provider_choices(form.data.get("municipality")),
                ctx["values"].get("provider"),
            )
        provider_id = form.cleaned_data.get("provider") if form.is_valid() else None
        if provider_id:
            ctx["provider"] = (
                Provider.objects.for_user(self.request.user).filter(pk=provider_id).first()
            )
        ctx["query_string"] = self._query_without_page()
        return ctx

    def _query_without_page(self) -> str:
        data = self.filterset.form.data.copy()
        data.pop("page", None)
        return data.urlencode()

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        # The same URL answers a fragment to htmx and a page to the browser: caches must tell.
        patch_vary_headers(response, ["HX-Request"])
        return response


class ProgramDetailView(ScopedDetailView):
    """/catalog/<pk>/: modules with prices and what a certificate covers, groups, schedule."""

    model = Program
    template_name = "catalog/public/detail.html"
    context_object_name = "program"

    def get_queryset(self):
        return selectors.program_detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        program = self.object
        ctx["is_public"] = selectors.is_public(program)
        # The per-group "Записаться" entry needs a programme the public sees, open for enrolment.
        ctx["can_enrol"] = ctx["is_public"] and program.enrolment_open
        ctx["age_years"] = selectors.age_range_years(program.age_from_months, program.age_to_months)
        ctx["nominals"] = (
            selectors.current_nominals(self.request.user, program.municipality)
            if program.is_certified
            else []
        )
        selectors.attach_certificate_limits(program, ctx["nominals"])
        user = self.request.user
        if user.is_authenticated and user.has_role(Role.PARENT):
            # Balances once per request, then per module in memory (see attach_family_coverage).
            ctx["is_parent"] = True
            ctx["covered_children"] = selectors.attach_family_coverage(
                program, certificate_selectors.family_overview(user)
            )
        return ctx
