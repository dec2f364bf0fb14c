"""Billing pages (urls_operator)."""

urlpatterns: list = []
