"""Pages of the compatibility app: the operator's table of old ПФДО programme ids (the list, the
file upload, removing one) and the family's confirmation of an e-mail left in the public
enrolment check of the ПФДО API v2 (the page its letter links to)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from pfdo.common.errors import DomainError
from pfdo.common.views import ScopedListView, authorize_page
from pfdo.compat import imports
from pfdo.compat.forms import AliasUploadForm
from pfdo.compat.models import ProgramAlias
from pfdo.compat.services import aliases as services
from pfdo.compat.services import verification
from pfdo.territory.models import Municipality

PERMISSION = services.PERMISSION


def _municipality(request, code: str) -> Municipality:
    """The municipality of the page; another municipality's operator gets 404."""
    municipality = get_object_or_404(Municipality.objects.select_related("region"), code=code)
    authorize_page(request.user, PERMISSION, municipality, hide=True)
    return municipality


class AliasHomeView(LoginRequiredMixin, View):
    """/cabinet/pfdo-ids/: the page of the operator's (first) municipality."""

    def get(self, request):
        authorize_page(request.user, PERMISSION)
        managed = services.municipalities_managed_by(request.user)
        if not managed:
            raise PermissionDenied("Нет муниципалитета, номера программ которого вы ведёте.")
        return redirect("compat:aliases", code=managed[0].code)


class AliasListView(LoginRequiredMixin, ScopedListView):
    """/cabinet/pfdo-ids/<code>/: the municipality's old ids and the upload of a file."""

    model = ProgramAlias
    template_name = "compat/aliases.html"
    context_object_name = "aliases"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.municipality = _municipality(request, kwargs["code"])
        return super().dispatch(request, *args, **kwargs)

    def scope_queryset(self, queryset):
        return (
            queryset.managed_by(self.request.user)
            .filter(program__municipality=self.municipality)
            .select_related("program", "created_by")
            .order_by("program__name", "program_id")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["municipality"] = self.municipality
        ctx["municipalities"] = services.municipalities_managed_by(self.request.user)
        ctx.setdefault("upload", AliasUploadForm())
        ctx["max_legacy_id"] = services.MAX_LEGACY_ID
        ctx["compat_prefix"] = "/" + settings.PFDO_COMPAT_API_PREFIX
        return ctx

    def post(self, request, code):
        upload = AliasUploadForm(request.POST, request.FILES)
        if upload.is_valid():
            try:
                result = imports.import_upload(
                    actor=request.user,
                    municipality=self.municipality,
                    upload=upload.cleaned_data["file"],
                )
            except DomainError as exc:
                upload.add_error(None, exc.message)
                for field_messages in exc.fields.values():
                    for message in field_messages:
                        upload.add_error("file", message)
            else:
                messages.success(request, f"Файл загружен. {result}")
                return redirect("compat:aliases", code=self.municipality.code)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(upload=upload), status=400)


class AliasDeleteView(LoginRequiredMixin, View):
    """Removing one old id: a confirmation page, then POST."""

    template_name = "compat/alias_delete.html"

    def setup_alias(self, request, code, pk):
        self.municipality = _municipality(request, code)
        self.alias = get_object_or_404(
            ProgramAlias.objects.managed_by(request.user)
            .filter(program__municipality=self.municipality)
            .select_related("program"),
            pk=pk,
        )

    def get(self, request, code, pk):
        self.setup_alias(request, code, pk)
        return render(
            request,
            self.template_name,
            {"municipality": self.municipality, "alias": self.alias},
        )

    def post(self, request, code, pk):
        self.setup_alias(request, code, pk)
        try:
            services.remove_alias(actor=request.user, alias=self.alias)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"Номер ПФДО {self.alias.legacy_id} программы «{self.alias.program.name}» удалён: "
                f"программа снова открывается по своему номеру {self.alias.program_id}.",
            )
        return redirect("compat:aliases", code=self.municipality.code)


class ConfirmEmailView(View):
    """The link of the enrolment check's letter. Opening it only shows a button: a mail
    scanner that follows links must not confirm for the family; the button posts."""

    template_name = "compat/confirm_email.html"

    def get(self, request, token: str):
        return render(request, self.template_name, {"token": token, "state": "ask"})

    def post(self, request, token: str):
        try:
            done = verification.confirm_email(actor=request.user, token=token)
        except verification.VerificationNotFound:
            return render(
                request, self.template_name, {"token": token, "state": "unknown"}, status=404
            )
        return render(request, self.template_name, {"state": "done", "fakes": done.reported_fakes})
