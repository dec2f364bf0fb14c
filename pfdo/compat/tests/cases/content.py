"""Contract cases: news, questions and answers, instructions, video instructions, the
privacy-policy document — on the demo's published content (pfdo.demo's content seed)."""

from __future__ import annotations

from django.db.models import Max

from pfdo.compat.tests.cases import Case
from pfdo.content.models import FaqEntry, Instruction, News
from pfdo.territory.models import Region


def _first(queryset, missing: int) -> int:
    """The smallest id of `queryset`; `missing` (an id nothing has) when it is empty, so the
    200 case fails and says the demo lacks the row."""
    found = queryset.order_by("pk").values_list("pk", flat=True).first()
    return missing if found is None else found


def cases() -> list[Case]:
    komi = Region.objects.get(code="komi").pk
    no_region = (Region.objects.aggregate(top=Max("pk"))["top"] or 0) + 1000
    missing = 2_000_000_000
    news = _first(News.objects.published(), missing)
    draft_news = _first(News.objects.filter(is_published=False), missing - 1)
    faq = _first(FaqEntry.objects.published(), missing)
    topic = FaqEntry.objects.published().order_by("pk").values_list("topic", flat=True).first() or 1
    instruction = _first(Instruction.objects.published(), missing)
    with_pdf = _first(Instruction.objects.published().exclude(pdf=""), missing)
    without_pdf = _first(Instruction.objects.published().filter(pdf=""), missing - 1)
    return [
        Case("getMainPageNews", "main-page/news"),
        Case("getMainPageNews", f"main-page/news?operator={komi}&page=1&per-page=5"),
        Case("getMainPageNewsItem", f"main-page/news/{news}"),
        Case("getMainPageNewsItem", f"main-page/news/{draft_news}", status=404),
        Case("getMainPageNewsItem", "main-page/news/first", status=404),
        Case("searchPublicFaq", "public/faq/search"),
        Case("searchPublicFaq", f"public/faq/search?search[keywords_ids]={topic}"),
        Case("searchPublicFaq", "public/faq/search?search[keywords_ids]=1,x", status=400),
        Case("searchPublicFaq", "public/faq/search?search[keywords_ids]=9", status=400),
        Case("getPublicFaqAnswer", f"public/faq/{faq}"),
        Case("getPublicFaqAnswer", f"public/faq/{missing}", status=404),
        Case("getPublicInstructions", "public/instructions"),
        Case("getPublicInstructions", f"public/instructions?operator={komi}"),
        Case("getPublicInstruction", f"public/instructions/{instruction}?operator={komi}"),
        Case("getPublicInstruction", f"public/instructions/{missing}", status=404),
        Case("getPublicInstructionPdf", f"public/instructions/download-pdf/{with_pdf}"),
        Case(
            "getPublicInstructionPdf", f"public/instructions/download-pdf/{without_pdf}", status=404
        ),
        Case("getPublicInstructionPdf", "public/instructions/download-pdf/x1", status=404),
        Case("getPublicVideoInstructionsLegacy", "public/instructions/video-instructions"),
        Case("getVideoInstructions", f"video-instructions?operator={komi}"),
        Case("getPrivacyPolicyDocumentUrl", f"privacy-policy/get-document-url?operator_id={komi}"),
        Case("getPrivacyPolicyDocumentUrl", "privacy-policy/get-document-url", status=400),
        Case(
            "getPrivacyPolicyDocumentUrl",
            f"privacy-policy/get-document-url?operator_id={no_region}",
            status=400,
        ),
    ]
