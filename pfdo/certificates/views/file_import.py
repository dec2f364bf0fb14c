"""The operator's import of children from a file: upload and check, then import once."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from pfdo.certificates import imports
from pfdo.certificates.forms.operator import ImportConfirmForm, ImportUploadForm
from pfdo.certificates.views._common import OPERATOR_TEMPLATES, OfficialMixin, flash_error
from pfdo.common.errors import DomainError, ValidationFailed
from pfdo.common.views import apply_domain_error
from pfdo.jobs.views import to_job

IMPORT_KEY = "certificates_import"


class ImportView(OfficialMixin, View):
    """Step one: upload and check. The report lists every bad row; the file waits for step two."""

    def get(self, request):
        form = ImportUploadForm(municipalities=self.municipalities)
        return render(request, OPERATOR_TEMPLATES + "import.html", {"form": form})

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES, municipalities=self.municipalities)
        if form.is_valid():
            municipality = form.chosen_municipality()
            try:
                if municipality is None:
                    raise ValidationFailed(fields={"municipality": "Выберите муниципалитет."})
                report = imports.check_upload(
                    actor=request.user, municipality=municipality, upload=form.cleaned_data["file"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                request.session.pop(IMPORT_KEY, None)
                if report.token:
                    request.session[IMPORT_KEY] = {
                        "token": report.token,
                        "municipality": municipality.pk,
                    }
                ctx = {
                    "report": report,
                    "municipality": municipality,
                    "bad_rows": report.bad_rows[:500],
                    "noted_rows": [r for r in report.rows if r.ok and r.notes][:200],
                    "confirm_form": ImportConfirmForm(initial={"token": report.token}),
                }
                return render(request, OPERATOR_TEMPLATES + "import_report.html", ctx)
        return render(request, OPERATOR_TEMPLATES + "import.html", {"form": form})


class ImportConfirmView(OfficialMixin, View):
    """Step two: import the checked file once (a background job); a stale or repeated submit
    imports nothing."""

    def post(self, request):
        form = ImportConfirmForm(request.POST)
        pending = request.session.get(IMPORT_KEY) or {}
        if not form.is_valid() or pending.get("token") != form.cleaned_data["token"]:
            messages.error(
                request, "Этот файл уже загружен или проверка устарела. Загрузите файл заново."
            )
            return redirect("certificates:import")
        del request.session[IMPORT_KEY]
        token = pending["token"]
        if form.cleaned_data["mode"] == ImportConfirmForm.CANCEL:
            imports.discard(token)
            messages.info(request, "Загрузка отменена: ничего не загружено.")
            return redirect("certificates:import")
        municipality = get_object_or_404(self.municipalities, pk=pending.get("municipality"))
        try:
            job = imports.start_import(
                actor=request.user,
                municipality=municipality,
                token=token,
                only_good=form.cleaned_data["mode"] == ImportConfirmForm.GOOD,
                approve=form.cleaned_data["approve"],
                back=reverse("certificates:import"),
            )
        except DomainError as exc:
            flash_error(request, exc)
            return redirect("certificates:import")
        # Filed in the background: the job's page shows how far it got, then the result.
        return to_job(request, job)


class ImportTemplateView(OfficialMixin, View):
    def get(self, request):
        response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="children-import-template.csv"'
        return response
