"""Uploaded images: the real format and the dimensions read from the header, before any pixel
is decoded, so a small file claiming 30000×30000 is refused with a field message, not a 500.

A PNG of zeros compresses about a thousand to one: a 1 MB upload can claim a billion pixels,
which Pillow refuses with DecompressionBombError (an exception the old check did not catch)
and a browser showing it in the catalogue would try to decode. The limits are settings:
`PFDO_IMAGE_MAX_SIDE` (pixels per side) and `PFDO_IMAGE_MAX_PIXELS` (width × height), the
latter also applied to Pillow itself (`configure_pillow`) so no other path decodes more.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from pfdo.common.errors import ValidationFailed

DEFAULT_MAX_SIDE = 8000
DEFAULT_MAX_PIXELS = DEFAULT_MAX_SIDE * DEFAULT_MAX_SIDE


def max_side() -> int:
    return getattr(settings, "PFDO_IMAGE_MAX_SIDE", DEFAULT_MAX_SIDE)


def max_pixels() -> int:
    return getattr(settings, "PFDO_IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS)


def configure_pillow() -> None:
    """Pillow warns past MAX_IMAGE_PIXELS and refuses past twice that: make it ours."""
    Image.MAX_IMAGE_PIXELS = max_pixels()


def too_large_message(size: tuple[int, int] | None = None) -> str:
    side, pixels = max_side(), max_pixels()
    message = f"Изображение слишком большое: не более {side}×{side} пикселей"
    if pixels < side * side:
        message += f", всего не более {pixels / 1_000_000:g} млн пикселей"
    if size:
        message += f" (в этом файле {size[0]}×{size[1]})"
    return message + "."


def _too_large(size: tuple[int, int]) -> bool:
    width, height = size
    side = max_side()
    return width > side or height > side or width * height > max_pixels()


def checked_image(
    upload,
    *,
    field: str,
    formats: Mapping[str, str],
    max_bytes: int,
    not_image: str,
    wrong_format: str,
) -> str:
    """The extension for the upload's real format (a key of `formats`), or a field error.

    Order matters: the byte size, then the header (format and dimensions, nothing decoded),
    then Pillow's structural check, which walks the file but decodes no pixels.
    """
    if upload.size > max_bytes:
        raise ValidationFailed(fields={field: f"Файл — не больше {max_bytes // (1024 * 1024)} МБ."})
    try:
        upload.seek(0)
        try:
            with Image.open(upload) as image:
                size, kind = image.size, image.format
                if _too_large(size):
                    raise ValidationFailed(fields={field: too_large_message(size)})
                image.verify()
        # Past twice its limit Pillow refuses at open (an error, not a ValueError); between
        # once and twice it only warns, and the size check above refuses. Where warnings
        # are errors (the test run), the warning arrives here as well.
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ValidationFailed(fields={field: too_large_message()}) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationFailed(fields={field: not_image}) from exc
    finally:
        upload.seek(0)
    if kind not in formats:
        raise ValidationFailed(fields={field: wrong_format})
    return formats[kind]
