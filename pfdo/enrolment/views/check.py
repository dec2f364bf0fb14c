"""The public enrolment check page: where a child is enrolled under a certificate."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.views import View

from pfdo.common.errors import DomainError
from pfdo.common.views import apply_domain_error
from pfdo.enrolment import services
from pfdo.enrolment.forms.public import EnrolmentCheckForm
from pfdo.territory import selectors as territory_selectors

TEMPLATE = "enrolment/public/check.html"


class EnrolmentCheckView(View):
    """/enrolment-check/: the form, and on submission the answer under it. The answer is
    rendered, never redirected to: the child's name must not sit in an address or a session."""

    def _context(self, form, result=None) -> dict:
        return {
            "form": form,
            "result": result,
            "municipality": territory_selectors.served_municipality(),
            "operator_contact": settings.PFDO_OPERATOR_CONTACT,
        }

    def get(self, request):
        return render(request, TEMPLATE, self._context(EnrolmentCheckForm()))

    def post(self, request):
        form = EnrolmentCheckForm(request.POST)
        result = None
        if form.is_valid():
            try:
                result = services.check_enrolment(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
        response = render(request, TEMPLATE, self._context(form, result))
        # What was found is for this answer only, not for a shared cache or the back button.
        response["Cache-Control"] = "no-store"
        return response
