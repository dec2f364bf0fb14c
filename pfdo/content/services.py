"""Write use-cases of public content: the five kinds of rows (create, change, publish, delete)
and the one-per-place cards (the region's portal card, a municipality's page, an expert's card).

Every write asks `content.rules` through `authz`, checks every field at once (a Russian message
per field, nothing written on any error), stamps who changed it and when, and leaves an audit
row. Texts are kept as plain text exactly as typed (stripped, line ends normalised): the pages
and the APIs escape them.

Three fields hold files (`FILE_SLOTS`): a news item's picture, an instruction's PDF and the
privacy-policy document of a portal card. A write passes an uploaded file as the field's value
(None removes the file). The file is checked by its content (a PDF by its signature, a picture
as the programme photo is: format and dimensions from the header), stored under a generated
name (never the uploader's), and the replaced file is deleted only after the commit.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import URLValidator, validate_email
from django.db import models, transaction

from pfdo.accounts.roles import Role
from pfdo.audit import services as audit
from pfdo.common import authz, clock
from pfdo.common.errors import ValidationFailed
from pfdo.common.images import checked_image
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
from pfdo.territory.models import Municipality, Region

MAX_LINKS = 10
MAX_POSITION = 1_000_000


@dataclass(frozen=True)
class Kind:
    """One kind of placed content: its model, the fields an editor fills (in form order) and
    its Russian names."""

    slug: str
    model: type[models.Model]
    fields: tuple[str, ...]
    title_field: str
    label: str  # the section's heading: «Новости»
    singular: str  # «новость»
    accusative: str  # «новость» / «вопрос»: «Добавить …»

    def title(self, obj) -> str:
        return str(getattr(obj, self.title_field))[:120]


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind("news", News, ("title", "summary", "body", "author"), "title", "Новости",
             "новость", "новость"),
        Kind("faq", FaqEntry, ("topic", "question", "question_short", "answer"), "question",
             "Вопросы и ответы", "вопрос и ответ", "вопрос"),
        Kind("instructions", Instruction, ("title", "body", "roles"), "title", "Инструкции",
             "инструкция", "инструкцию"),
        Kind("videos", VideoInstruction, ("title", "links"), "title", "Видеоинструкции",
             "видеоинструкция", "видеоинструкцию"),
        Kind("contacts", UsefulContact, ("name", "phone", "email", "address"), "name",
             "Полезные контакты", "полезный контакт", "контакт"),
    )
}  # fmt: skip

# Fields every placed row has besides its kind's own.
PLACEMENT_FIELDS = ("municipality", "is_published", "position")

PORTAL_FIELDS = (
    "operator_name",
    "phone",
    "phone_extra",
    "email",
    "address_actual",
    "address_legal",
    "site_url",
    "privacy_policy_url",
    "navigator_title",
    "news_title",
    "login_form_title",
)
EXPERT_FIELDS = ("region", "post", "organization_name", "description", "is_public")

ROLE_CODES = frozenset(Role.values)

_URL = URLValidator(schemes=["http", "https"])
# A video link: an http(s) address without spaces or control characters. The API states this
# very pattern (pfdo.content.api.serializers); a real video page behind it is the editor's
# to check — the link is shown, never fetched.
LINK_PATTERN = r"^https?://[^\u0000-\u0020\u007f]+$"
REGION_IS_FIXED = "Регион материала задаётся при создании и потом не меняется."
LINK_MESSAGE = "Каждая ссылка — адрес, начинающийся с http:// или https:// (по одной в строке)."
_LINK = re.compile(LINK_PATTERN)


@dataclass(frozen=True)
class FileSlot:
    """The file field of a model: `field`, a PDF document or a picture, the start of the
    stored names and what the pages call it."""

    field: str
    is_pdf: bool
    prefix: str
    label: str


FILE_SLOTS: dict[type[models.Model], FileSlot] = {
    News: FileSlot("image", False, "news", "Картинка"),
    Instruction: FileSlot("pdf", True, "instruction", "PDF"),
    PortalSettings: FileSlot(
        "privacy_policy_file", True, "privacy-policy", "Политика обработки ПДн (PDF)"
    ),
}

MB = 1024 * 1024
IMAGE_MAX_BYTES = 5 * MB  # as the programme photo
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
PDF_SIGNATURE = b"%PDF-"
DEFAULT_PDF_MAX_BYTES = 10 * MB


def pdf_max_bytes() -> int:
    """The largest PDF accepted (setting `PFDO_CONTENT_PDF_MAX_BYTES`)."""
    return getattr(settings, "PFDO_CONTENT_PDF_MAX_BYTES", DEFAULT_PDF_MAX_BYTES)


def file_slot(obj_or_model) -> FileSlot | None:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    return FILE_SLOTS.get(model)


def kind_of(obj_or_model) -> Kind:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    for kind in KINDS.values():
        if kind.model is model:
            return kind
    raise LookupError(f"{model.__name__} is not a kind of placed content")


# ------------------------------------------------------------------ checking fields


def _text(field, value, errors: dict[str, list[str]]) -> str | None:
    name = field.name
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = ["Ожидается текст."]
        return None
    if "\x00" in value:
        errors[name] = ["Текст содержит недопустимый символ."]
        return None
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if isinstance(field, models.CharField) and not isinstance(field, models.TextField):
        # One line: a line break in a title or a phone is a paste accident.
        value = " ".join(value.split())
    if not value and not field.blank:
        errors[name] = ["Заполните это поле."]
        return None
    limit = field.max_length
    if limit and len(value) > limit:
        errors[name] = [f"Не длиннее {limit} символов (сейчас {len(value)})."]
        return None
    if value and isinstance(field, models.URLField):
        try:
            _URL(value)
        except ValidationError:
            errors[name] = ["Укажите адрес, начинающийся с http:// или https://."]
            return None
    if value and isinstance(field, models.EmailField):
        try:
            validate_email(value)
        except ValidationError:
            errors[name] = ["Укажите адрес электронной почты, например info@example.ru."]
            return None
    return value


def _roles(value, errors) -> list[str] | None:
    if value is None:
        value = []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors["roles"] = ["Укажите список ролей."]
        return None
    unknown = sorted(set(value) - ROLE_CODES)
    if unknown:
        errors["roles"] = [
            "Неизвестная роль: "
            + ", ".join(unknown[:5])[:200]
            + ". Допустимые: "
            + ", ".join(Role.values)
            + "."
        ]
        return None
    # Known roles in their declared order, each once.
    return [code for code in Role.values if code in value]


def _links(value, errors) -> list[str] | None:
    if isinstance(value, str):
        value = [line for line in value.splitlines()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors["links"] = ["Укажите список ссылок."]
        return None
    links = [v.strip() for v in value if v.strip()]
    if not links:
        errors["links"] = ["Укажите хотя бы одну ссылку на видео."]
        return None
    if len(links) > MAX_LINKS:
        errors["links"] = [f"Не больше {MAX_LINKS} ссылок."]
        return None
    if any(len(link) > 500 or not _LINK.search(link) for link in links):
        errors["links"] = [LINK_MESSAGE]
        return None
    return links


@dataclass(frozen=True)
class _Upload:
    """A checked upload and the extension its content has."""

    file: File
    extension: str


def _megabytes(size: int) -> str:
    """«10», «10,5»: megabytes rounded up to a tenth (a file over the limit never reads as
    equal to it)."""
    tenths = math.ceil(size * 10 / MB)
    return f"{tenths // 10},{tenths % 10}" if tenths % 10 else str(tenths // 10)


def _checked_file(model, name: str, value, errors) -> _Upload | None:
    """`value` for the file field `name`: None (remove the file) or a checked upload; a
    problem goes into `errors[name]` (returns None then too — the caller looks at errors)."""
    slot = file_slot(model)
    if value is None or (isinstance(value, str) and not value):
        return None
    if not isinstance(value, File):
        errors[name] = ["Ожидается файл."]
        return None
    size = value.size or 0
    if size == 0:
        errors[name] = ["Файл пустой."]
        return None
    if not slot.is_pdf:
        try:
            extension = checked_image(
                value,
                field=name,
                formats=IMAGE_FORMATS,
                max_bytes=IMAGE_MAX_BYTES,
                not_image="Это не изображение: загрузите JPEG, PNG или WebP.",
                wrong_format="Загрузите картинку в формате JPEG, PNG или WebP.",
            )
        except ValidationFailed as exc:
            errors.update(exc.fields)
            return None
        return _Upload(value, extension)
    limit = pdf_max_bytes()
    if size > limit:
        errors[name] = [f"Файл — не больше {_megabytes(limit)} МБ (этот — {_megabytes(size)} МБ)."]
        return None
    value.seek(0)
    head = value.read(len(PDF_SIGNATURE))
    value.seek(0)
    if head != PDF_SIGNATURE:
        errors[name] = ["Это не PDF: загрузите документ в формате PDF."]
        return None
    return _Upload(value, "pdf")


@contextmanager
def _atomic_with_files() -> Iterator[list]:
    """A transaction that also takes back the files stored in it if it fails: the callee
    appends (storage, name) of each file it stores to the yielded list."""
    stored: list = []
    try:
        with transaction.atomic():
            yield stored
    except BaseException:
        for storage, name in stored:
            storage.delete(name)
        raise


def _put_file(obj, value: _Upload | None, stored: list) -> dict[str, Any] | None:
    """Store `value` in `obj`'s file field (None: clear it), not saving `obj` (which must have
    its pk); the file replaced is deleted after the commit. Returns the audit details of the
    change, None when nothing changed (removing a file that is not there)."""
    slot = file_slot(obj)
    current = getattr(obj, slot.field)
    old = current.name or ""
    if value is None:
        if not old:
            return None
        setattr(obj, slot.field, "")
        details: dict[str, Any] = {"field": slot.field, "removed": True}
    else:
        # A generated name: the uploader's may be anything (or someone's personal data), and
        # the random part keeps a draft's file unguessable and a replaced one uncached.
        name = f"{slot.prefix}-{obj.pk}-{secrets.token_hex(8)}.{value.extension}"
        value.file.seek(0)
        current.save(name, value.file, save=False)
        stored.append((current.storage, current.name))
        details = {"field": slot.field, "removed": False, "size": value.file.size}
    if old:
        storage = current.storage
        transaction.on_commit(lambda: storage.delete(old))
    return details


def _integer(field, value, errors) -> int | None:
    name = field.name
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            errors[name] = ["Укажите целое число."]
            return None
    if field.choices:
        if value not in {choice for choice, _ in field.choices}:
            errors[name] = [
                "Выберите одно из значений: "
                + "; ".join(f"{c} — {label}" for c, label in field.choices)
                + "."
            ]
            return None
    elif not 0 <= value <= MAX_POSITION:
        errors[name] = [f"Число от 0 до {MAX_POSITION}."]
        return None
    return value


def _clean(
    model, values: Mapping[str, Any], allowed: tuple[str, ...], errors: dict[str, list[str]]
) -> dict[str, Any]:
    """`values` checked field by field against `model`'s fields; problems go into `errors`."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in allowed:
            errors[name] = ["Это поле нельзя изменить."]
            continue
        if name == "roles":
            value = _roles(value, errors)
        elif isinstance(model._meta.get_field(name), models.FileField):
            value = _checked_file(model, name, value, errors)
        elif name == "links":
            value = _links(value, errors)
        else:
            field = model._meta.get_field(name)
            if isinstance(field, models.BooleanField):
                if not isinstance(value, bool):
                    errors[name] = ["Укажите да или нет."]
                    continue
            elif isinstance(field, models.IntegerField):
                value = _integer(field, value, errors)
            elif isinstance(field, models.CharField | models.TextField):
                value = _text(field, value, errors)
            else:  # relations are checked by the callers
                clean[name] = value
                continue
        if name not in errors:
            clean[name] = value
    return clean


def _required(model, fields: tuple[str, ...], values: Mapping[str, Any], errors) -> None:
    """On creation every non-blank field must be there."""
    for name in fields:
        if name in values or name in errors:
            continue
        field = model._meta.get_field(name)
        if not field.blank and not field.has_default():
            errors[name] = ["Заполните это поле."]


def _check_placement(region: Region, municipality, errors) -> None:
    if municipality is not None and municipality.region_id != region.pk:
        errors["municipality"] = ["Муниципалитет не из этого региона."]


def _publish_fields(obj, is_published: bool, now) -> None:
    obj.is_published = is_published
    # A news item keeps the date it first appeared: unpublishing and publishing again (to fix
    # a typo, say) does not move it to the top of the list.
    if is_published and isinstance(obj, News) and obj.published_at is None:
        obj.published_at = now


def _stamp(obj, actor, now) -> None:
    obj.updated_at = now
    if hasattr(obj, "updated_by_id"):
        obj.updated_by = actor if getattr(actor, "is_authenticated", False) else None


def _details(kind: Kind, obj, changed) -> dict[str, Any]:
    return {"kind": kind.slug, "fields": sorted(changed)}


# ------------------------------------------------------------------ placed rows


def create(
    *, actor, kind: Kind | str, region: Region, municipality: Municipality | None = None,
    **values,
):  # fmt: skip
    """A new row of `kind` in `region` (of `municipality`, if given); a draft unless
    `is_published=True`."""
    kind = KINDS[kind] if isinstance(kind, str) else kind
    model = kind.model
    authz.authorize(actor, "content.edit", model(region=region, municipality=municipality))
    errors: dict[str, list[str]] = {}
    _check_placement(region, municipality, errors)
    clean = _clean(model, values, _editable(kind), errors)
    _required(model, kind.fields, clean, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    now = clock.now()
    is_published = clean.pop("is_published", False)
    slot = file_slot(model)
    upload = clean.pop(slot.field, None) if slot else None
    obj = model(region=region, municipality=municipality, created_at=now, **clean)
    _publish_fields(obj, is_published, now)
    _stamp(obj, actor, now)
    with _atomic_with_files() as stored:
        obj.save(force_insert=True)
        details = {**_details(kind, obj, clean), "published": is_published}
        if upload is not None:
            # The stored name carries the pk, so the file follows the first save.
            details["file"] = _put_file(obj, upload, stored)
            details["fields"] = sorted([*details["fields"], slot.field])
            obj.save(update_fields=[slot.field])
        audit.record(
            actor=actor,
            action="content.created",
            obj=obj,
            municipality=municipality,
            details=details,
        )
    return obj


_UNSET = object()


def _editable(kind: Kind) -> tuple[str, ...]:
    """The fields a create or an update of `kind` takes (its own, placement, its file)."""
    slot = file_slot(kind.model)
    return kind.fields + PLACEMENT_FIELDS[1:] + ((slot.field,) if slot else ())


def update(*, actor, obj, municipality=_UNSET, **values):
    """Change the given fields of `obj` (others stay). Moving a row to another municipality
    (or to the whole region, `municipality=None`) needs the right to edit there too."""
    kind = kind_of(obj)
    authz.authorize(actor, "content.edit", obj, hide=True)
    errors: dict[str, list[str]] = {}
    moved = municipality is not _UNSET and municipality != obj.municipality
    if moved:
        _check_placement(obj.region, municipality, errors)
        if not errors:
            authz.authorize(
                actor,
                "content.edit",
                kind.model(region=obj.region, municipality=municipality),
                message="Переносить материал можно только в свой муниципалитет.",
            )
    clean = _clean(kind.model, values, _editable(kind), errors)
    if errors:
        raise ValidationFailed(fields=errors)
    now = clock.now()
    slot = file_slot(kind.model)
    upload = clean.pop(slot.field) if slot and slot.field in clean else _UNSET
    with _atomic_with_files() as stored:
        obj = kind.model.objects.select_for_update().get(pk=obj.pk)
        changed = {name for name, value in clean.items() if getattr(obj, name) != value}
        is_published = clean.pop("is_published", obj.is_published)
        for name, value in clean.items():
            setattr(obj, name, value)
        if moved:
            obj.municipality = municipality
            changed.add("municipality")
        file_details = None if upload is _UNSET else _put_file(obj, upload, stored)
        if file_details:
            changed.add(slot.field)
        _publish_fields(obj, is_published, now)
        _stamp(obj, actor, now)
        obj.save()
        details = _details(kind, obj, changed)
        if file_details:
            details["file"] = file_details
        audit.record(
            actor=actor,
            action="content.updated",
            obj=obj,
            municipality=obj.municipality,
            details=details,
        )
    return obj


def set_file(*, actor, obj, upload):
    """Replace (an uploaded file) or remove (`upload=None`) the file of the row `obj`: a news
    item's picture, an instruction's PDF. The same checks and audit row as `update`."""
    slot = file_slot(obj)
    if slot is None:
        raise LookupError(f"{type(obj).__name__} has no file")
    if upload is None and not getattr(obj, slot.field):
        # Removing what is not there changes nothing and leaves no audit row.
        authz.authorize(actor, "content.edit", obj, hide=True)
        return obj
    return update(actor=actor, obj=obj, **{slot.field: upload})


def publish(*, actor, obj):
    """Show `obj` to the public (a news item gets its date the first time)."""
    return _set_published(actor=actor, obj=obj, is_published=True)


def unpublish(*, actor, obj):
    """Hide `obj` from the public again (its editors still see it)."""
    return _set_published(actor=actor, obj=obj, is_published=False)


def _set_published(*, actor, obj, is_published: bool):
    kind = kind_of(obj)
    authz.authorize(actor, "content.edit", obj, hide=True)
    now = clock.now()
    with transaction.atomic():
        obj = kind.model.objects.select_for_update().get(pk=obj.pk)
        if obj.is_published == is_published:
            return obj
        _publish_fields(obj, is_published, now)
        _stamp(obj, actor, now)
        obj.save()
        audit.record(
            actor=actor,
            action="content.published" if is_published else "content.unpublished",
            obj=obj,
            municipality=obj.municipality,
            details={"kind": kind.slug},
        )
    return obj


def delete(*, actor, obj) -> None:
    """Remove `obj` for good (the audit row keeps its title)."""
    kind = kind_of(obj)
    authz.authorize(actor, "content.edit", obj, hide=True)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="content.deleted",
            obj=obj,
            municipality=obj.municipality,
            details={"kind": kind.slug, "title": kind.title(obj)},
        )
        obj.delete()


# ------------------------------------------------------------------ one-per-place cards


def save_portal_settings(*, actor, region: Region, **values) -> PortalSettings:
    """The regional operator's public card of `region`, created on the first save; the given
    fields change, the others stay."""
    authz.authorize(actor, "content.edit_portal", region)
    errors: dict[str, list[str]] = {}
    file_field = FILE_SLOTS[PortalSettings].field
    clean = _clean(PortalSettings, values, (*PORTAL_FIELDS, file_field), errors)
    if errors:
        raise ValidationFailed(fields=errors)
    upload = clean.pop(file_field) if file_field in clean else _UNSET
    with _atomic_with_files() as stored:
        card, created = PortalSettings.objects.select_for_update().get_or_create(region=region)
        changed = {name for name, value in clean.items() if getattr(card, name) != value}
        for name, value in clean.items():
            setattr(card, name, value)
        file_details = None if upload is _UNSET else _put_file(card, upload, stored)
        if file_details:
            changed.add(file_field)
        _stamp(card, actor, clock.now())
        card.save()
        details = {"region": region.pk, "created": created, "fields": sorted(changed)}
        if file_details:
            details["file"] = file_details
        audit.record(actor=actor, action="content.portal_saved", obj=card, details=details)
    return card


def set_privacy_policy_file(*, actor, region: Region, upload) -> PortalSettings:
    """Replace (a PDF) or remove (`upload=None`) the privacy-policy document of `region`'s
    portal card (the card is created on the first save)."""
    if upload is None:
        authz.authorize(actor, "content.edit_portal", region)
        card = PortalSettings.objects.filter(region=region).first()
        if card is None or not card.privacy_policy_file:
            # Nothing to remove: no card is created, no audit row written.
            return card or PortalSettings(region=region, updated_at=None)
    return save_portal_settings(actor=actor, region=region, privacy_policy_file=upload)


def save_municipality_page(
    *, actor, municipality: Municipality, certificate_text: str
) -> MunicipalityPage:
    """The "how to get a certificate" text of `municipality`, created on the first save."""
    authz.authorize(actor, "content.edit_municipality_page", municipality)
    errors: dict[str, list[str]] = {}
    clean = _clean(
        MunicipalityPage,
        {"certificate_text": certificate_text},
        ("certificate_text",),
        errors,
    )
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        page, created = MunicipalityPage.objects.select_for_update().get_or_create(
            municipality=municipality
        )
        page.certificate_text = clean["certificate_text"]
        _stamp(page, actor, clock.now())
        page.save()
        audit.record(
            actor=actor,
            action="content.municipality_page_saved",
            obj=page,
            municipality=municipality,
            details={"created": created, "length": len(page.certificate_text)},
        )
    return page


def _the_only_region():
    """Where a new card goes when the expert names no region: the installation's one region
    (a municipal or regional install); with several, the expert must choose."""
    regions = list(Region.objects.order_by("pk")[:2])
    return regions[0] if len(regions) == 1 else None


def save_expert_profile(*, actor, user, **values) -> ExpertProfile:
    """`user`'s public expert card, created on the first save (then `region` is required: an
    expert belongs to no region, so the expert picks the portal that lists them)."""
    existing = ExpertProfile.objects.filter(user=user).first()
    errors: dict[str, list[str]] = {}
    region = values.pop("region", existing.region if existing else _the_only_region())
    if region is not None and not isinstance(region, Region):
        region = Region.objects.filter(pk=region).first() if str(region).isdigit() else None
        if region is None:
            errors["region"] = ["Такого региона нет."]
    elif region is None:
        errors["region"] = ["Выберите регион, на портале которого показывать карточку."]
    target = existing or ExpertProfile(user=user)
    # The card as it would be: its region decides an administrator's right, its user the
    # expert's own.
    probe = ExpertProfile(user=user, region=region or (existing.region if existing else None))
    authz.authorize(actor, "content.edit_expert_profile", existing or probe)
    if existing and region is not None and region != existing.region:
        authz.authorize(actor, "content.edit_expert_profile", probe)
    if not user.has_role(Role.EXPERT):
        errors["user"] = ["Карточку можно завести только эксперту."]
    clean = _clean(ExpertProfile, values, EXPERT_FIELDS, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        created = existing is None
        card = target
        if not created:
            card = ExpertProfile.objects.select_for_update().get(pk=existing.pk)
        changed = {name for name, value in clean.items() if getattr(card, name) != value}
        if created or region != card.region:
            changed.add("region")
        card.region = region
        for name, value in clean.items():
            setattr(card, name, value)
        card.updated_at = clock.now()
        card.save()
        audit.record(
            actor=actor,
            action="content.expert_profile_saved",
            obj=card,
            details={"created": created, "fields": sorted(changed), "public": card.is_public},
        )
    return card
