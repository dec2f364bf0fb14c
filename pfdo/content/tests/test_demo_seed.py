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
    # Rows and cards, and the PDF attached to the parents' instruction.
    assert report.content == 4 + 1 + 9 + 3 + 2 + 3 + 3 + 1
    assert ActionLog.objects.filter(action="content.created").count() == 5 + 9 + 3 + 2 + 3

    with_pdf = Instruction.objects.exclude(pdf="").get()
    assert with_pdf.roles == ["parent"] and with_pdf.is_published
    pdf_name = with_pdf.pdf.name

    before = _counts()
    again = seed("small", generated=False)
    assert again.content == 0
    assert _counts() == before
    # The re-run attached nothing again.
    assert list(Instruction.objects.exclude(pdf="").values_list("pdf", flat=True)) == [pdf_name]


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


def _xref_offsets(pdf: bytes) -> list[int]:
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    table = pdf[start:]
    assert table.startswith(b"xref\n0 6\n0000000000 65535 f \n")
    rows = table.split(b"\n")[3:8]
    assert all(len(row) == 19 and row.endswith(b" 00000 n ") for row in rows)
    return [int(row[:10]) for row in rows]


def test_the_demo_pdf_is_a_small_well_formed_pdf():
    pdf = content_demo.minimal_pdf()
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    assert 300 < len(pdf) < 2000
    # Every cross-reference entry points at its object, as a reader looks it up.
    for number, offset in enumerate(_xref_offsets(pdf), start=1):
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number)
    stream = pdf.split(b"stream\n", 1)[1].split(b"\nendstream", 1)[0]
    assert b"/Length %d " % len(stream) in pdf
    assert b"(PFDO demo: how to get a certificate and enrol a child) '" in stream
    # Text is escaped; anything but ASCII is refused (the standard font has no Cyrillic).
    assert b"(a \\(b\\) c\\\\) '" in content_demo.minimal_pdf(("a (b) c\\",))
    with pytest.raises(ValueError):
        content_demo.minimal_pdf(("Привет",))


def test_the_compat_api_gives_the_address_of_the_demo_pdf(client):
    from django.conf import settings
    from django.core.files.storage import default_storage

    seed("small", generated=False)
    instruction = Instruction.objects.exclude(pdf="").get()
    prefix = settings.PFDO_COMPAT_API_PREFIX
    response = client.get(f"/{prefix}public/instructions/download-pdf/{instruction.pk}")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["url"] == f"http://testserver{instruction.pdf.url}"
    with default_storage.open(instruction.pdf.name) as handle:
        assert handle.read() == content_demo.minimal_pdf()
    # The public page links it too.
    page = client.get(f"/instructions/{instruction.pk}/").content.decode()
    assert "Скачать PDF" in page and instruction.pdf.url in page
