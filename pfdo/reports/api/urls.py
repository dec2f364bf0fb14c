"""API routes of the reports: /api/v1/reports/<section>/ for every dashboard section, and the
child population (/api/v1/reports/population/, its XLSX import)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from pfdo.reports import sections
from pfdo.reports.api.population import PopulationViewSet
from pfdo.reports.api.views import RegionReportView, section_view

router = SimpleRouter()
router.register("reports/population", PopulationViewSet, basename="api-reports-population")

urlpatterns = [
    *router.urls,
    path("reports/region/", RegionReportView.as_view(), name="api-reports-region"),
    *(
        path(
            f"reports/{section.key}/",
            section_view(section).as_view(),
            name=f"api-reports-{section.key}",
        )
        for section in sections.api_sections()
    ),
]
