"""Page URLs of the reports."""

from django.urls import path

from pfdo.reports import views

app_name = "reports"

urlpatterns = [
    path("cabinet/reports/", views.ReportsHomeView.as_view(), name="home"),
    path("cabinet/reports/region/", views.RegionView.as_view(), name="region"),
    path(
        "cabinet/reports/municipalities/<slug:code>/population/",
        views.PopulationView.as_view(),
        name="population",
    ),
    path(
        "cabinet/reports/municipalities/<slug:code>/population/template.xlsx",
        views.PopulationTemplateView.as_view(),
        name="population_template",
    ),
    path(
        "cabinet/reports/municipalities/<slug:code>/<slug:section>/",
        views.SectionView.as_view(),
        name="section",
    ),
]
