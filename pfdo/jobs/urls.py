"""Page URLs of background jobs."""

from django.urls import path

from pfdo.jobs import views

app_name = "jobs"

urlpatterns = [
    path("cabinet/jobs/<int:pk>/", views.JobView.as_view(), name="detail"),
]
