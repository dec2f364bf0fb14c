"""Addresses this installation gives out in compatibility answers (absolute URLs)."""

from __future__ import annotations

from django.apps import apps


def site_root(request) -> str:
    """https://host of the request (behind a proxy: as Django was told to trust it)."""
    return request.build_absolute_uri("/").rstrip("/")


def region_url(request, region) -> str:
    """The region's portal: the operator's configured address, else this site."""
    PortalSettings = apps.get_model("content", "PortalSettings")
    configured = (
        PortalSettings.objects.filter(region=region).values_list("site_url", flat=True).first()
    )
    return configured or site_root(request) + "/"
