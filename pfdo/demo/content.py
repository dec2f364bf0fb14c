"""Demo public content of Komi and Vorkuta (portal card, news, questions, instructions, videos,
contacts, the certificate page, the demo expert's card), written through the content services.

Idempotent: a row is recognised by its place and its title (question, name), a card by its
place; what exists is left as an official may have edited it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from pfdo.accounts.models import User
from pfdo.common import clock
from pfdo.content import services
from pfdo.content.models import ExpertProfile, MunicipalityPage, PortalSettings
from pfdo.demo import literals

_DATA = literals.load("content")


def _seed_rows(*, actor, kind: str, region, municipality, rows: list[dict]) -> int:
    kind_ = services.KINDS[kind]
    made = 0
    for position, row in enumerate(rows, start=1):
        row = dict(row)
        title = row[kind_.title_field]
        if kind_.model.objects.filter(
            region=region, municipality=municipality, **{kind_.title_field: title}
        ).exists():
            continue
        published = row.pop("published", True)
        days_ago = row.pop("days_ago", 0)
        # A news item's date is the day it was first published: the demo's appear over the
        # last month, not all at the moment of seeding.
        with clock.frozen(clock.now() - dt.timedelta(days=days_ago, minutes=1)):
            services.create(
                actor=actor,
                kind=kind_,
                region=region,
                municipality=municipality,
                position=position,
                is_published=published,
                **row,
            )
        made += 1
    return made


@transaction.atomic
def seed_content(*, region, municipality, admin: User, operator: User, expert: User) -> int:
    """The demo's public content; returns the number of rows and cards created (0 on a re-run).

    The region-wide rows (instructions, the regional hot line) are the administrator's, the
    municipality's the operator's — as the officials of a real installation would share them.
    """
    made = 0
    if not PortalSettings.objects.filter(region=region).exists():
        services.save_portal_settings(actor=admin, region=region, **_DATA["portal"])
        made += 1
    if not MunicipalityPage.objects.filter(municipality=municipality).exists():
        services.save_municipality_page(
            actor=operator, municipality=municipality, **_DATA["municipality_page"]
        )
        made += 1
    for kind in ("news", "faq", "videos"):
        made += _seed_rows(
            actor=operator, kind=kind, region=region, municipality=municipality, rows=_DATA[kind]
        )
    made += _seed_rows(
        actor=admin,
        kind="instructions",
        region=region,
        municipality=None,
        rows=_DATA["instructions"],
    )
    contacts = _DATA["contacts"]
    made += _seed_rows(
        actor=operator,
        kind="contacts",
        region=region,
        municipality=municipality,
        rows=contacts[:-1],
    )
    made += _seed_rows(
        actor=admin, kind="contacts", region=region, municipality=None, rows=contacts[-1:]
    )
    if not ExpertProfile.objects.filter(user=expert).exists():
        services.save_expert_profile(actor=expert, user=expert, region=region, **_DATA["expert"])
        made += 1
    return made
