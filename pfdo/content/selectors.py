"""Reading public content: the site's region, what a reader sees of it, where an editor may
place a row."""

from __future__ import annotations

from itertools import groupby

from django.conf import settings

from pfdo.content.models import FaqEntry, Instruction, News
from pfdo.territory.models import Municipality, Region


def site_region() -> Region | None:
    """The region whose content this site shows: the served municipality's
    (PFDO_MUNICIPALITY), else the only (or first) region."""
    code = getattr(settings, "PFDO_MUNICIPALITY", "")
    if code:
        municipality = Municipality.objects.select_related("region").filter(code=code).first()
        if municipality is not None:
            return municipality.region
    return Region.objects.order_by("pk").first()


def public_news(region):
    return News.objects.published().of_region(region.pk).select_related("municipality")


def public_faq_by_topic(region) -> list[tuple[str, list[FaqEntry]]]:
    """Published questions of `region`, grouped by topic in the topics' order."""
    rows = FaqEntry.objects.published().of_region(region.pk).order_by("topic", "position", "pk")
    labels = dict(FaqEntry.Topic.choices)
    return [(labels[topic], list(entries)) for topic, entries in groupby(rows, lambda e: e.topic)]


def public_instructions(region):
    return Instruction.objects.published().of_region(region.pk)


def placements(user) -> list[tuple[Region, Municipality | None]]:
    """Where `user` may put a row: the administrator's regions (whole region and each of its
    municipalities), the operator's municipalities."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        regions = list(Region.objects.order_by("name"))
        own_municipalities: set[int] = set()
    else:
        regions = list(
            Region.objects.filter(pk__in=user.region_ids_for("regional_admin")).order_by("name")
        )
        own_municipalities = user.municipality_ids_for("operator")
    out: list[tuple[Region, Municipality | None]] = []
    for region in regions:
        out.append((region, None))
        for municipality in region.municipalities.order_by("name"):
            out.append((region, municipality))
    admin_region_ids = {r.pk for r in regions}
    for municipality in (
        Municipality.objects.filter(pk__in=own_municipalities)
        .exclude(region_id__in=admin_region_ids)
        .select_related("region")
        .order_by("name")
    ):
        out.append((municipality.region, municipality))
    return out


def portal_regions(user) -> list[Region]:
    """The regions whose portal card `user` keeps."""
    if not user.is_authenticated:
        return []
    regions = Region.objects.order_by("name")
    if user.is_superuser:
        return list(regions)
    return list(regions.filter(pk__in=user.region_ids_for("regional_admin")))


def page_municipalities(user) -> list[Municipality]:
    """The municipalities whose certificate page `user` edits."""
    if not user.is_authenticated:
        return []
    municipalities = Municipality.objects.select_related("region").order_by("name")
    if user.is_superuser:
        return list(municipalities)
    from django.db.models import Q

    return list(
        municipalities.filter(
            Q(pk__in=user.municipality_ids_for("operator"))
            | Q(region_id__in=user.region_ids_for("regional_admin"))
        )
    )
