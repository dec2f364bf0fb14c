"""Contract cases: expert groups and the public card of an expert."""

from __future__ import annotations

from pfdo.compat.tests.cases import Case
from pfdo.content.models import ExpertProfile
from pfdo.territory.models import Region


def cases() -> list[Case]:
    operator = Region.objects.order_by("pk").values_list("pk", flat=True).first()
    critic = (
        ExpertProfile.objects.published()
        .filter(user__is_active=True)
        .order_by("pk")
        .values_list("user_id", flat=True)
        .first()
    )
    found = [
        Case("getPublicExpertGroups", f"public/expert-groups?operator_id={operator}"),
        Case("getPublicExpertGroups", "public/expert-groups", status=400),
        Case("getPublicExpertGroups", "public/expert-groups?operator_id=abc", status=400),
        Case("getPublicCritic", "public/critic/abc", status=404),
        Case("getPublicCritic", "public/critic/2147483647", status=404),
    ]
    # The demo's expert has a published card (pfdo/demo/content.py). Without one, only this
    # operation lacks its success case and fails — not every group's cases.
    if critic is not None:
        found.append(Case("getPublicCritic", f"public/critic/{critic}"))
    return found
