"""The demo's public content: seeded at every scale through the services, once."""

from __future__ import annotations

import pytest

from pfdo.audit.models import ActionLog
from pfdo.content.models import (
    ExpertProfile,
    FaqEntry,
    Instruction,
    MunicipalityPage,
    News,
    PortalSettings,
    UsefulContact,
    VideoInstruction,
)
from pfdo.demo import content as content_demo
from pfdo.demo.seed import seed

MODELS = [
    News,
    FaqEntry,
    Instruction,
    VideoInstruction,
    UsefulContact,
    PortalSettings,
    MunicipalityPage,
    ExpertProfile,
]

pytestmark = pytest.mark.django_db


def _counts():
    return [m.objects.count() for m in MODELS] + [
        ActionLog.objects.filter(action__startswith="content.").count()
    ]


def test_the_smallest_demo_has_believable_content_and_a_rerun_creates_nothing():
    report = seed("small", generated=False)
    assert News.objects.published().count() == 4
    assert News.objects.filter(is_published=False).count() == 1
    assert FaqEntry.objects.count() >= 8
    assert set(FaqEntry.objects.values_list("topic", flat=True)) == {1, 2, 3, 4, 5}
    assert Instruction.objects.count() == 3
    assert VideoInstruction.objects.count() == 2
    assert UsefulContact.objects.count() == 3
    card = PortalSettings.objects.get(region__code="komi")
    assert card.operator_name.startswith("МАУ")
    assert card.privacy_policy_url.startswith("https://")
    assert card.site_url == ""
    page = MunicipalityPage.objects.get(municipality__code="vorkuta")
    assert "/certificates/apply/" in page.certificate_text
    assert page.certificate_text.count("\n\n") >= 2
    expert = ExpertProfile.objects.get(user__username="expert")
    assert expert.is_public and expert.post and expert.organization_name
    # News dates spread over the last month, the draft has none.
    dates = set(News.objects.published().values_list("published_at", flat=True))
    assert len(dates) == 4
    assert News.objects.get(is_published=False).published_at is None
    assert report.content == 4 + 1 + 9 + 3 + 2 + 3 + 3
    assert ActionLog.objects.filter(action="content.created").count() == 5 + 9 + 3 + 2 + 3

    before = _counts()
    again = seed("small", generated=False)
    assert again.content == 0
    assert _counts() == before


def test_content_seed_alone_is_idempotent(django_user_model):
    seed("small", generated=False)
    before = _counts()
    from pfdo.territory.models import Municipality

    vorkuta = Municipality.objects.get(code="vorkuta")
    made = content_demo.seed_content(
        region=vorkuta.region,
        municipality=vorkuta,
        admin=django_user_model.objects.get(username="region"),
        operator=django_user_model.objects.get(username="operator"),
        expert=django_user_model.objects.get(username="expert"),
    )
    assert made == 0
    assert _counts() == before
