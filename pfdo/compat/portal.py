"""Addresses this installation gives out in compatibility answers (absolute URLs)."""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps


def site_root(request) -> str:
    """https://host of the request (behind a proxy: as Django was told to trust it)."""
    return request.build_absolute_uri("/").rstrip("/")


def absolute(request, path: str) -> str:
    """An absolute address of a path of this site (e.g. a reverse() result or a file's url)."""
    return request.build_absolute_uri(path)


def file_url(request, field_file) -> str | None:
    """The absolute address of an uploaded file, None when there is none."""
    if not field_file:
        return None
    return absolute(request, field_file.url)


def region_urls(request, region_ids: Iterable[int]) -> dict[int, str]:
    """region id → its portal: the operator's configured address, else this site (one query
    for any number of regions)."""
    region_ids = list(region_ids)
    PortalSettings = apps.get_model("content", "PortalSettings")
    configured = dict(
        PortalSettings.objects.filter(region_id__in=region_ids)
        .exclude(site_url="")
        .values_list("region_id", "site_url")
    )
    here = site_root(request) + "/"
    return {pk: configured.get(pk) or here for pk in region_ids}


def region_url(request, region) -> str:
    """The region's portal: the operator's configured address, else this site."""
    return region_urls(request, [region.pk])[region.pk]
