"""The programme's photo: checked by its content, replaced or removed in any state."""

from __future__ import annotations

from django.db import transaction

from pfdo.catalog.models import Program
from pfdo.catalog.services._common import authorize, record
from pfdo.common import clock
from pfdo.common.images import checked_image
from pfdo.common.transactions import atomic_retry

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def _checked_photo(photo) -> str:
    """The file's real image format (by its content, not its name), or a field error; an
    image whose header claims too many pixels is refused before anything is decoded."""
    return checked_image(
        photo,
        field="photo",
        formats=PHOTO_FORMATS,
        max_bytes=PHOTO_MAX_BYTES,
        not_image="Это не изображение: загрузите JPEG, PNG или WebP.",
        wrong_format="Загрузите фото в формате JPEG, PNG или WebP.",
    )


@atomic_retry
def set_program_photo(*, actor, program: Program, photo) -> Program:
    """Replace (or, with photo=None, remove) the programme's photo. Allowed in any state:
    a photo changes nothing an expert assessed or a parent was promised."""
    authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    old = program.photo.name if program.photo else ""
    if photo is None:
        if not old:
            return program
        program.photo = None
    else:
        extension = _checked_photo(photo)
        program.photo.save(f"program-{program.pk}.{extension}", photo, save=False)
    program.updated_at = clock.now()
    program.save(update_fields=["photo", "updated_at"])
    if old:
        transaction.on_commit(lambda: program.photo.storage.delete(old))
    record(actor, "catalog.photo_changed" if photo else "catalog.photo_removed", program)
    return program
