"""Dashboard pages: a municipality's sections with their filters, charts and XLSX exports.

Every page is read-only: it parses the filters, asks the rule whether the official may read the
municipality, and renders the section's tables; `?export=xlsx` returns the same tables (or one,
with `&table=<key>`) as a workbook.
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from pfdo.common.authz import can
from pfdo.common.errors import ValidationFailed
from pfdo.common.views import authorize_page
from pfdo.reports import sections
from pfdo.reports.exports import XLSX_TYPE, tables_xlsx
from pfdo.reports.forms import ReportFilterForm
from pfdo.reports.selectors.scope import municipalities_for
from pfdo.territory.models import Municipality


class ReportsHomeView(LoginRequiredMixin, View):
    """/cabinet/reports/: an operator's own municipality; a regional administrator's region."""

    def get(self, request):
        authorize_page(request.user, "reports.view_reports")
        municipality = municipalities_for(request.user).order_by("name").first()
        if municipality is None:
            raise Http404("Нет муниципалитета, показатели которого вам доступны.")
        return redirect("reports:section", code=municipality.code, section=sections.SECTIONS[0].key)


class SectionView(LoginRequiredMixin, TemplateView):
    template_name = "reports/section.html"

    def get(self, request, *args, **kwargs):
        municipality = get_object_or_404(Municipality, code=kwargs["code"])
        authorize_page(request.user, "reports.view_municipality", municipality, hide=True)
        section = sections.get(kwargs["section"])
        if section is None:
            raise Http404("Нет такого раздела.")
        form = ReportFilterForm(request.GET, municipality=municipality)
        try:
            filters = form.filters()
        except ValidationFailed as exc:
            context = self.get_context_data(
                municipality=municipality, section=section, form=form, tables=[], error=exc
            )
            return self.render_to_response(context, status=400)
        tables = section.build(filters)
        if request.GET.get("export") == "xlsx":
            return self.export(tables, filters, municipality, section, request.GET.get("table"))
        context = self.get_context_data(
            municipality=municipality,
            section=section,
            form=form,
            filters=filters,
            tables=tables,
            sections=sections.SECTIONS,
            may_compare=can(request.user, "reports.view_region", municipality.region),
        )
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("sections", sections.SECTIONS)
        return super().get_context_data(**kwargs)

    def export(self, tables, filters, municipality, section, only):
        if only:
            tables = [table for table in tables if table.key == only]
            if not tables:
                raise Http404("Нет такой таблицы.")
        heading = f"{municipality.name} · {filters.period.name}"
        if filters.month:
            heading += f" · {filters.month:%m.%Y}"
        response = HttpResponse(tables_xlsx(tables, heading=heading), content_type=XLSX_TYPE)
        name = f"{municipality.code}-{section.key}{'-' + only if only else ''}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
