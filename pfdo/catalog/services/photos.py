"""The programme's photo: checked by its content, replaced or removed in any state."""

from __future__ import annotations

from django.db import transaction
from PIL import Image, UnidentifiedImageError

from pfdo.catalog.models import Program
from pfdo.catalog.services._common import authorize, record
from pfdo.common import clock
from pfdo.common.errors import ValidationFailed
from pfdo.common.transactions import atomic_retry

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def _checked_photo(photo) -> str:
    """The file's real image format (by its content, not its name), or a field error."""
    if photo.size > PHOTO_MAX_BYTES:
        raise ValidationFailed(fields={"photo": "Фото — не больше 5 МБ."})
    try:
        photo.seek(0)
        with Image.open(photo) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed(
            fields={"photo": "Это не изображение: загрузите JPEG, PNG или WebP."}
        ) from exc
    finally:
        photo.seek(0)
    if kind not in PHOTO_FORMATS:
        raise ValidationFailed(fields={"photo": "Загрузите фото в формате JPEG, PNG или WebP."})
    return PHOTO_FORMATS[kind]


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
