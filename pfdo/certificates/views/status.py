"""The public page of a certificate application's status (its number and the e-mail)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.views import View

from pfdo.certificates import services
from pfdo.certificates.forms.parent import ApplicationStatusForm
from pfdo.common.errors import DomainError, NotFound
from pfdo.common.views import apply_domain_error

TEMPLATE = "certificates/parent/application_status.html"


class ApplicationStatusView(View):
    """/certificates/apply/status/: the status and the next step, rendered in the answer."""

    def _render(self, request, form, found=None):
        response = render(
            request,
            TEMPLATE,
            {"form": form, "found": found, "operator_contact": settings.PFDO_OPERATOR_CONTACT},
        )
        response["Cache-Control"] = "no-store"
        return response

    def get(self, request):
        return self._render(request, ApplicationStatusForm())

    def post(self, request):
        form = ApplicationStatusForm(request.POST)
        found = None
        if form.is_valid():
            try:
                found = services.application_status(actor=request.user, **form.cleaned_data)
            except NotFound as exc:
                # On top of the form: a miss does not say which of the two was wrong.
                form.add_error(None, exc.message)
            except DomainError as exc:
                apply_domain_error(form, exc)
        return self._render(request, form, found)
