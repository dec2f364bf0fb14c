"""Billing pages (urls_parent)."""

urlpatterns: list = []
