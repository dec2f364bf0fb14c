"""Page URLs of the audit log."""

from django.urls import path

from pfdo.audit import views

app_name = "audit"

urlpatterns = [
    path("cabinet/audit/", views.ActionLogListView.as_view(), name="action_list"),
]
