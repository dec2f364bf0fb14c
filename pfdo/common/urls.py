"""Page URLs of the shared kernel: the settings of the version for the visually impaired."""

from django.urls import path

from pfdo.common import views

app_name = "common"

urlpatterns = [
    path("accessibility/", views.low_vision_settings, name="accessibility"),
]
