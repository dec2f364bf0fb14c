"""Billing pages (urls_provider)."""

urlpatterns: list = []
