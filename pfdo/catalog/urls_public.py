"""Page URLs of the public catalogue (no login)."""

from django.urls import path

from pfdo.catalog.views import public

app_name = "catalog"

urlpatterns = [
    path("catalog/", public.CatalogView.as_view(), name="list"),
    path("catalog/<int:pk>/", public.ProgramDetailView.as_view(), name="program_detail"),
]
