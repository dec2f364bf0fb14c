"""Dashboard pages: a municipality's sections with their filters, charts and XLSX exports.

Every page is read-only: it parses the filters, asks the rule whether the official may read the
municipality, and renders the section's tables; `?export=xlsx` returns the same tables (or one,
with `&table=<key>`) as a workbook.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from pfdo.common import clock
from pfdo.common.authz import can
from pfdo.common.errors import DomainError, ValidationFailed
from pfdo.common.views import apply_domain_error, authorize_page
from pfdo.jobs.views import to_job
from pfdo.reports import imports, sections, services
from pfdo.reports.exports import XLSX_TYPE, xlsx_response
from pfdo.reports.forms import PopulationForm, PopulationUploadForm, ReportFilterForm
from pfdo.reports.models import TARGET_AGES, ChildPopulation
from pfdo.reports.selectors import region as region_selectors
from pfdo.reports.selectors.scope import editable_municipalities, municipalities_for, regions_for
from pfdo.reports.services import MAX_YEAR, MIN_YEAR
from pfdo.territory.models import Municipality, Region


class ReportsHomeView(LoginRequiredMixin, View):
    """/cabinet/reports/: an operator's own municipality; a regional administrator's region."""

    def get(self, request):
        authorize_page(request.user, "reports.view_reports")
        if regions_for(request.user).exists() and not request.user.is_superuser:
            # A regional administrator starts with the municipalities side by side.
            return redirect("reports:region")
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
        heading = f"{municipality.name} · {filters.period.name}"
        if filters.month:
            heading += f" · {filters.month:%m.%Y}"
        return xlsx_response(
            tables, only=only, heading=heading, stem=f"{municipality.code}-{section.key}"
        )


def _year(raw: str | None) -> int | None:
    """The year asked for in the address or the form, if it is one the population may hold."""
    raw = raw or ""
    return int(raw) if raw.isdigit() and MIN_YEAR <= int(raw) <= MAX_YEAR else None


class PopulationView(LoginRequiredMixin, TemplateView):
    """/cabinet/reports/municipalities/<code>/population/?year=: the children of each age for a
    year, editable, and the XLSX import (a file may hold several municipalities by code)."""

    template_name = "reports/population.html"

    def setup_page(self, request, code):
        self.municipality = get_object_or_404(
            Municipality.objects.select_related("region"), code=code
        )
        authorize_page(request.user, "reports.view_municipality", self.municipality, hide=True)
        authorize_page(request.user, "reports.edit_population", self.municipality)
        self.year = _year(request.GET.get("year") or request.POST.get("year")) or clock.today().year

    def counts(self) -> dict[int, int]:
        return dict(
            ChildPopulation.objects.filter(
                municipality=self.municipality, year=self.year
            ).values_list("age", "children")
        )

    def get(self, request, code):
        self.setup_page(request, code)
        form = PopulationForm(initial_counts=self.counts())
        return self.page(form, PopulationUploadForm())

    def page(self, form, upload, status=200):
        years = (
            ChildPopulation.objects.filter(municipality=self.municipality, age__in=TARGET_AGES)
            .values("year")
            .annotate(children=Sum("children"), ages=Count("age"))
            .order_by("-year")
        )
        context = self.get_context_data(
            municipality=self.municipality,
            year=self.year,
            form=form,
            upload=upload,
            years=years,
            target_ages=f"{TARGET_AGES.start}–{TARGET_AGES.stop - 1}",
        )
        return self.render_to_response(context, status=status)

    def post(self, request, code):
        self.setup_page(request, code)
        if "file" in request.FILES or request.POST.get("action") == "import":
            return self.import_file(request)
        form = PopulationForm(request.POST)
        if form.is_valid():
            try:
                changed = services.save_population(
                    actor=request.user,
                    municipality=self.municipality,
                    year=self.year,
                    children=form.counts(),
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request, f"Сохранено: {self.year} г., изменено возрастов: {changed}."
                )
                return redirect(f"{request.path}?year={self.year}")
        return self.page(form, PopulationUploadForm(), status=400)

    def import_file(self, request):
        upload = PopulationUploadForm(request.POST, request.FILES)
        if upload.is_valid():
            try:
                job = imports.start_import(
                    actor=request.user,
                    upload=upload.cleaned_data["file"],
                    municipalities=editable_municipalities(request.user),
                    default=self.municipality,
                    back=f"{request.path}?year={self.year}",
                )
            except DomainError as exc:
                upload.add_error(None, exc.message)
                for messages_ in exc.fields.values():
                    for message in messages_:
                        upload.add_error("file", message)
            else:
                # Checked: the rows are written in the background; the job's page follows.
                return to_job(request, job)
        return self.page(PopulationForm(initial_counts=self.counts()), upload, status=400)


class PopulationTemplateView(LoginRequiredMixin, View):
    """The XLSX to fill in, with one row per age of the municipality for the year."""

    def get(self, request, code):
        municipality = get_object_or_404(Municipality, code=code)
        authorize_page(request.user, "reports.edit_population", municipality, hide=True)
        year = _year(request.GET.get("year"))
        response = HttpResponse(
            imports.template_xlsx([municipality.code], year), content_type=XLSX_TYPE
        )
        response["Content-Disposition"] = 'attachment; filename="population-template.xlsx"'
        return response


def region_of(user, code: str | None) -> Region:
    """The region the regional view is about: the one named (if the user may read it — 404
    otherwise, as for one that does not exist), else the user's first region."""
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise Http404("Регион не найден.")
        return authorize_page(user, "reports.view_region", region, hide=True)
    region = regions_for(user).order_by("name").first()
    if region is None:
        raise Http404("Нет региона, показатели которого вам доступны.")
    return region


class RegionView(LoginRequiredMixin, TemplateView):
    """/cabinet/reports/region/: every municipality of the region side by side, with a link to
    each one's dashboard; `?export=xlsx` the same tables as a workbook."""

    template_name = "reports/region.html"

    def get(self, request, *args, **kwargs):
        authorize_page(request.user, "reports.view_reports")
        region = region_of(request.user, request.GET.get("region"))
        on = clock.today()
        tables, rows = region_selectors.tables(region, on)
        if request.GET.get("export") == "xlsx":
            return xlsx_response(
                tables,
                only=request.GET.get("table"),
                heading=f"{region.name} · на {on:%d.%m.%Y}",
                stem=f"{region.code}-region",
            )
        main, running = tables
        query = f"region={region.code}" if request.GET.get("region") else ""
        context = self.get_context_data(
            region=region,
            on=on,
            main=main,
            table=running,
            rows=zip(main.rows, rows, strict=True),
            query=query,
            regions=list(regions_for(request.user).order_by("name")),
        )
        return self.render_to_response(context)
