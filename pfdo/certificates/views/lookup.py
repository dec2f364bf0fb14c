"""The provider's look-up of a certificate by its number (a reduced view, every look-up logged)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.views import View

from pfdo.certificates import services
from pfdo.certificates.forms.operator import LookupForm
from pfdo.certificates.views._common import OPERATOR_TEMPLATES
from pfdo.common.errors import DomainError, NotFound
from pfdo.common.views import apply_domain_error, authorize_page


class LookupView(LoginRequiredMixin, View):
    """A provider finds a certificate by its number and sees only name, age, type, status."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        authorize_page(request.user, "certificates.lookup")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, OPERATOR_TEMPLATES + "lookup.html", {"form": LookupForm()})

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
        return render(request, OPERATOR_TEMPLATES + "lookup.html", {"form": form, "found": found})
