"""Page URLs of the compatibility app: the operator's table of old ПФДО programme ids."""

from django.urls import path

from pfdo.compat import views

app_name = "compat"

urlpatterns = [
    path("cabinet/pfdo-ids/", views.AliasHomeView.as_view(), name="aliases_home"),
    path("cabinet/pfdo-ids/<slug:code>/", views.AliasListView.as_view(), name="aliases"),
    path(
        "cabinet/pfdo-ids/<slug:code>/<int:pk>/delete/",
        views.AliasDeleteView.as_view(),
        name="alias_delete",
    ),
]
