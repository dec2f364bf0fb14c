"""Page URLs of the territory app."""

from django.urls import path

from pfdo.territory import views

app_name = "territory"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
]
