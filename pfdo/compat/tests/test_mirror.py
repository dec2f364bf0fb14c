"""The issue's "done when": a client written for the public ПФДО API, given this system's base
address and the Komi operator id, mirrors the whole demo catalogue — regions, municipalities,
programmes with modules, groups and schedules, organisations — with no error, and what it
mirrored is exactly what the catalogue publishes."""

from __future__ import annotations

from pfdo.catalog.models import Group, Program
from pfdo.compat import selectors
from pfdo.compat.tests import spec
from pfdo.providers.models import Provider
from pfdo.territory.models import Region

FULL_EXPAND = ",".join(sorted(spec.operation("getPublicProgramDetail").documented_expands))


def _data(compat, path: str):
    response = compat.get(path)
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    body = response.json()
    assert body["result_code"] == "FLSCS", (path, body)
    return body["data"]


def _all_pages(compat, path: str, per_page: int = 5) -> list[dict]:
    """What a mirror does: pages until one is shorter than per-page."""
    items: list[dict] = []
    page = 1
    while True:
        chunk = _data(compat, f"{path}&page={page}&per-page={per_page}")
        items.extend(chunk)
        if len(chunk) < per_page:
            return items
        page += 1
        assert page < 1000, "paging never ends"


def test_a_pfdo_client_mirrors_the_whole_demo_catalogue(compat):
    komi = Region.objects.get(code="komi")
    regions = _data(compat, "main-page/regions")
    assert komi.pk in {region["id"] for region in regions}
    operator = _data(compat, f"main-page/operator-info/{komi.pk}")
    assert operator["id"] == komi.pk

    municipalities = _data(compat, f"main-page/muns/{komi.pk}")
    active = set(komi.municipalities.filter(is_active=True).values_list("pk", flat=True))
    assert {m["id"] for m in municipalities} == active
    for municipality in municipalities:
        assert _data(compat, f"main-page/info-mun/{municipality['id']}")["name"]

    listed = _all_pages(compat, f"main-page/search/programs?operator={komi.pk}")
    published = Program.objects.published().filter(
        municipality__region=komi, municipality__is_active=True
    )
    shown_ids = selectors.public_program_ids(published.values_list("pk", flat=True))
    assert len(listed) == len({p["id"] for p in listed}), "a programme listed twice"
    assert {p["id"] for p in listed} == set(shown_ids.values())
    assert len(listed) >= 5

    groups_seen = lessons_seen = modules_seen = 0
    for item in listed:
        detail = _data(compat, f"public/programs/{item['id']}?expand={FULL_EXPAND}")
        assert detail["program"]["id"] == item["id"]
        modules_seen += len(detail["modules"])
        for group in detail["available_groups"]:
            groups_seen += 1
            lessons_seen += len(group["periods"])
    # available_groups: the groups taking applications of programmes taking applications.
    open_groups = Group.objects.filter(
        module__program__in=published.filter(enrolment_open=True), enrolment_open=True
    ).count()
    assert modules_seen >= len(listed)
    assert groups_seen == open_groups and groups_seen > 0
    assert lessons_seen > 0

    organisations = _all_pages(compat, f"main-page/search/organizations?operator={komi.pk}")
    public = Provider.objects.public().filter(
        municipality__region=komi, municipality__is_active=True
    )
    assert {o["id"] for o in organisations} == set(public.values_list("pk", flat=True))
    for organisation in organisations:
        assert _data(compat, f"main-page/search/organizations/{organisation['id']}")["name"]
