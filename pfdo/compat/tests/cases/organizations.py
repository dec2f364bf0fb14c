"""Contract cases: organisations and events of the showcase.

getMainPageEventDetail has only 404 cases: this system keeps no events, so no id is found
(the contract test's "a success case for every operation" cannot hold for it).
"""

from __future__ import annotations

from urllib.parse import quote

from pfdo.compat.tests.cases import Case
from pfdo.providers.models import Provider


def _demo_provider() -> Provider:
    provider = (
        Provider.objects.public()
        .filter(municipality__is_active=True)
        .select_related("municipality")
        .order_by("pk")
        .first()
    )
    assert provider is not None, "the demo has no provider in the public registry"
    return provider


def cases() -> list[Case]:
    provider = _demo_provider()
    operator = provider.municipality.region_id
    part = quote(provider.short_name[1:6].lower())
    search = "main-page/search/organizations"
    events = "main-page/search/events"
    return [
        Case("searchMainPageOrganizations", f"{search}?operator={operator}"),
        Case(
            "searchMainPageOrganizations",
            f"{search}?operator={operator}&page=1&per-page=100&search[name]={part}",
        ),
        Case(
            "searchMainPageOrganizations",
            f"{search}?operator={operator}&page=500&per-page=100",
            non_empty=False,
        ),
        Case("searchMainPageOrganizations", search, status=400),
        Case("searchMainPageOrganizations", f"{search}?operator={operator}&per-page=0", 400),
        Case("searchMainPageOrganizations", f"{search}?operator={operator}&per-page=10000", 400),
        Case("searchMainPageOrganizations", f"{search}?operator={operator}&search[x=1", 400),
        Case("getMainPageOrganizationDetail", f"{search}/{provider.pk}"),
        Case("getMainPageOrganizationDetail", f"{search}/{provider.pk}?operator={operator}"),
        Case("getMainPageOrganizationDetail", f"{search}/abc", status=404),
        Case("getMainPageOrganizationDetail", f"{search}/-1", status=404),
        Case("getMainPageOrganizationDetail", f"{search}/2147483647", status=404),
        Case("searchMainPageEvents", f"{events}?operator={operator}", non_empty=False),
        Case("searchMainPageEvents", events, status=400),
        Case("searchMainPageEvents", f"{events}?operator={operator}&per-page=-1", 400),
        Case("getMainPageEventDetail", f"{events}/1", status=404),
        Case("getMainPageEventDetail", f"{events}/abc", status=404),
    ]
