"""What the certificate pages share: access through authorize(), the loaders of the objects
an official works on, error messages without a form, the one-time password hand-over."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404

from pfdo.certificates import services
from pfdo.certificates.models import Certificate, CertificateApplication
from pfdo.common.errors import DomainError
from pfdo.common.views import authorize_page
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import manageable_municipalities

OPERATOR_TEMPLATES = "certificates/operator/"

# One-time passwords wait here between the issuing POST and the printable page, which pops
# them on its first render: never in a URL, never in a model.
PASSWORDS_KEY = "certificates_issued_passwords"


def flash_error(request, exc: DomainError) -> None:
    """A refused action without a form: the message and each field's reason on top."""
    messages.error(request, exc.message)
    for msgs in exc.fields.values():
        for msg in msgs:
            if msg != exc.message:
                messages.error(request, msg)


class OfficialMixin(LoginRequiredMixin):
    """Operators, regional administrators and superusers; anyone else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        authorize_page(request.user, "certificates.manage")
        self.municipalities = manageable_municipalities(request.user)
        return super().dispatch(request, *args, **kwargs)


def official_certificate(request, pk: int) -> Certificate:
    """A certificate the official manages: 404 outside `for_user`, 403 for a mere reader."""
    certificate = get_object_or_404(
        Certificate.objects.for_user(request.user).select_related(
            "child", "municipality__region", "application__parent"
        ),
        pk=pk,
    )
    return authorize_page(request.user, "certificates.manage", certificate)


def official_application(request, pk: int) -> CertificateApplication:
    application = get_object_or_404(
        CertificateApplication.objects.for_user(request.user).select_related(
            "child", "municipality__region", "parent", "created_by", "decided_by"
        ),
        pk=pk,
    )
    return authorize_page(request.user, "certificates.manage", application)


def official_period(request, period_pk: int) -> FinancingPeriod:
    period = get_object_or_404(
        FinancingPeriod.objects.for_user(request.user).select_related("municipality"),
        pk=period_pk,
    )
    return authorize_page(request.user, "certificates.manage", period)


def hand_over(request, issued: services.Issued) -> None:
    """Keep a just-issued password for the next render of the certificate's printable page."""
    if not issued.password:
        return
    pending = dict(request.session.get(PASSWORDS_KEY) or {})
    pending[str(issued.certificate.pk)] = {"login": issued.login, "password": issued.password}
    request.session[PASSWORDS_KEY] = pending


def take_password(request, certificate: Certificate) -> dict | None:
    pending = dict(request.session.get(PASSWORDS_KEY) or {})
    entry = pending.pop(str(certificate.pk), None)
    if entry is not None:
        if pending:
            request.session[PASSWORDS_KEY] = pending
        else:
            del request.session[PASSWORDS_KEY]
    return entry
