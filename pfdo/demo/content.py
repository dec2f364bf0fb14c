"""Demo public content of Komi and Vorkuta (portal card, news, questions, instructions, videos,
contacts, the certificate page, the demo expert's card), written through the content services.

Idempotent: a row is recognised by its place and its title (question, name), a card by its
place; what exists is left as an official may have edited it. The parents' instruction gets a
small PDF (built here, `minimal_pdf`) unless it has one.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.db import transaction

from pfdo.accounts.models import User
from pfdo.common import clock
from pfdo.content import services
from pfdo.content.models import ExpertProfile, Instruction, MunicipalityPage, PortalSettings
from pfdo.demo import literals

_DATA = literals.load("content")

# The demo PDF's text: ASCII only (the standard Helvetica of a minimal PDF has no Cyrillic).
PDF_LINES = (
    "PFDO demo: how to get a certificate and enrol a child",
    "",
    "1. Sign up in the navigator and add your child.",
    "2. Apply for a certificate; the operator decides within five working days.",
    "3. Choose a programme and a group in the catalogue and press Enrol.",
    "4. Confirm the contract the organisation offers in your cabinet.",
)


def _pdf_text(line: str) -> str:
    if not line.isascii():
        raise ValueError("a minimal PDF's text must be ASCII")
    return "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def minimal_pdf(lines: tuple[str, ...] = PDF_LINES) -> bytes:
    """A valid one-page A4 PDF (PDF 1.4, Helvetica) showing `lines` (ASCII): a catalogue, a
    page tree, a page, a font, the text stream, and the cross-reference table with the exact
    byte offsets a reader looks objects up by."""
    text = ["BT", "/F1 12 Tf", "16 TL", "72 770 Td"]
    text += [f"{_pdf_text(line)} '" for line in lines]
    text.append("ET")
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _attach_parents_pdf(*, actor, region) -> int:
    """The PDF of the region-wide instruction for parents, once (1 if attached now)."""
    title = next(row["title"] for row in _DATA["instructions"] if "parent" in row["roles"])
    instruction = Instruction.objects.filter(region=region, municipality=None, title=title).first()
    if instruction is None or instruction.pdf:
        return 0
    services.set_file(
        actor=actor, obj=instruction, upload=ContentFile(minimal_pdf(), name="instruction.pdf")
    )
    return 1


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
    made += _attach_parents_pdf(actor=admin, region=region)
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
