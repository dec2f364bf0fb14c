"""Pages of the look-up by certificate number and surname (provider staff; officials by number)
and the operator's report of provider look-ups."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.views import View

from pfdo.common.errors import DomainError, NotFound
from pfdo.common.views import ScopedListView, apply_domain_error, authorize_page
from pfdo.enrolment import selectors, services
from pfdo.enrolment.filters import CertificateLookupFilter
from pfdo.enrolment.forms.provider import LookupForm
from pfdo.enrolment.models import CertificateLookup
from pfdo.providers.models import Provider, staffed_provider_ids

PROVIDER_TEMPLATES = "enrolment/provider/"
OPERATOR_TEMPLATES = "enrolment/operator/"


class LookupView(LoginRequiredMixin, View):
    """Provider staff find a certificate by number and the child's surname and see only the
    name, age, type and whether it is active; officials find one of their registry by number.
    A miss says the same whatever did not match; every attempt is counted and recorded."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        authorize_page(request.user, "certificates.lookup")
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data=None) -> LookupForm:
        providers = Provider.objects.filter(pk__in=staffed_provider_ids(self.request.user))
        return LookupForm(data, providers=providers.order_by("short_name", "pk"))

    def get(self, request):
        return render(request, PROVIDER_TEMPLATES + "lookup.html", {"form": self._form()})

    def post(self, request):
        form = self._form(request.POST)
        found = None
        if form.is_valid():
            data = form.cleaned_data
            provider = data.get("provider")
            try:
                found = services.look_up(
                    actor=request.user,
                    number=data["number"],
                    surname=data["surname"],
                    provider_id=provider.pk if provider is not None else None,
                )
            except NotFound as exc:
                # On top of the form, not on a field: the miss does not say which was wrong.
                form.add_error(None, exc.message)
            except DomainError as exc:
                apply_domain_error(form, exc)
        ctx = {"form": form, "found": found}
        if found is not None:
            ctx["age"] = selectors.years_label(found.age_years)
        return render(request, PROVIDER_TEMPLATES + "lookup.html", ctx)


class LookupReportView(LoginRequiredMixin, ScopedListView):
    """The operator's report: every look-up of the municipality's providers with its outcome,
    filtered, and per provider and per staff member the hits, misses and refusals, the
    unusual ones first."""

    model = CertificateLookup
    template_name = OPERATOR_TEMPLATES + "lookups.html"
    context_object_name = "lookups"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        authorize_page(request.user, "enrolment.view_lookups")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        self.scoped = selectors.lookups_for(self.request.user)
        self.filterset = CertificateLookupFilter(self.request.GET or None, queryset=self.scoped)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return self.scoped.none()
        return self.filterset.qs.order_by("-at", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        by_provider, by_staff = selectors.lookup_summary(self.object_list)
        providers, staff = selectors.lookup_filter_choices(self.scoped)
        ctx.update(
            filter=self.filterset,
            by_provider=by_provider,
            by_staff=by_staff,
            provider_choices=providers,
            staff_choices=staff,
            outcome_choices=CertificateLookupFilter.base_filters["outcome"].extra["choices"],
            chosen={k: self.request.GET.get(k, "") for k in ("provider", "actor", "outcome")},
            unusual_misses=selectors.UNUSUAL_MISSES,
            unusual_share=selectors.UNUSUAL_MISS_SHARE,
        )
        return ctx
