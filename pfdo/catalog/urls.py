"""Page URLs of the catalogue management (provider, expert, operator)."""

from django.urls import path  # noqa: F401

app_name = "catalog_manage"

urlpatterns: list = []
