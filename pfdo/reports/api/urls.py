"""API routes of the reports: /api/v1/reports/<section>/ for every dashboard section."""

from django.urls import path

from pfdo.reports import sections
from pfdo.reports.api.views import section_view

urlpatterns = [
    path(
        f"reports/{section.key}/",
        section_view(section).as_view(),
        name=f"api-reports-{section.key}",
    )
    for section in sections.api_sections()
]
