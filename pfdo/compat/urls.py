"""Page URLs of the compatibility app: the operator's table of old ПФДО programme ids, and
the page the public enrolment check's letter links to (settings.PFDO_COMPAT_CONFIRM_EMAIL_URL)."""

from django.urls import path

from pfdo.compat import views

app_name = "compat"

urlpatterns = [
    path(
        "enrollments/confirm-email/<str:token>",
        views.ConfirmEmailView.as_view(),
        name="confirm_email",
    ),
    path("cabinet/pfdo-ids/", views.AliasHomeView.as_view(), name="aliases_home"),
    path("cabinet/pfdo-ids/<slug:code>/", views.AliasListView.as_view(), name="aliases"),
    path(
        "cabinet/pfdo-ids/<slug:code>/<int:pk>/delete/",
        views.AliasDeleteView.as_view(),
        name="alias_delete",
    ),
]
