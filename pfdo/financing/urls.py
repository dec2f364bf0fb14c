"""Page URLs of the financing app."""

from django.urls import path  # noqa: F401

app_name = "financing"

urlpatterns: list = []
