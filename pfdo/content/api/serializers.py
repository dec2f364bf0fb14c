"""API shapes of public content: one read and one write shape per kind, built from the kind's
fields (services.KINDS), and the three one-per-place cards."""

from __future__ import annotations

from functools import cache

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pfdo.accounts.roles import Role
from pfdo.common.api.fields import PatternField
from pfdo.common.api.serializers import StrictSerializer
from pfdo.common.ids import MAX_ID
from pfdo.content import services
from pfdo.content.models import ExpertProfile, MunicipalityPage, News, PortalSettings

_ROLES_HELP = "Для кого: коды ролей — " + ", ".join(f"{c} ({label})" for c, label in Role.choices)
_LINKS_HELP = f"Ссылки на видео: от 1 до {services.MAX_LINKS} адресов http(s)."


def _id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _file_url(serializer, file) -> str | None:
    if not file:
        return None
    request = serializer.context.get("request")
    return request.build_absolute_uri(file.url) if request is not None else file.url


class _Upload(StrictSerializer):
    """The multipart body of a file upload: one part, `file`."""


@cache
def upload_serializer(is_pdf: bool) -> type[serializers.Serializer]:
    """The body of a file upload: a PDF document or a picture."""
    if is_pdf:
        name = "ContentPdfUploadSerializer"
        limit = services.pdf_max_bytes() // services.MB
        help_text = f"Документ PDF (начинается с %PDF-), до {limit} МБ."
    else:
        name = "ContentImageUploadSerializer"
        limit = services.IMAGE_MAX_BYTES // services.MB
        help_text = f"Картинка JPEG, PNG или WebP, до {limit} МБ."
    return type(name, (_Upload,), {"file": serializers.FileField(help_text=help_text)})


class _PlacedRead(serializers.ModelSerializer):
    region = serializers.IntegerField(source="region_id", read_only=True)
    municipality = serializers.IntegerField(
        source="municipality_id",
        read_only=True,
        allow_null=True,
        help_text="Id муниципалитета; null — материал всего региона.",
    )


class _NewsImage(serializers.Serializer):
    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_image_url(self, obj) -> str | None:
        return _file_url(self, obj.image)


class _InstructionPdf(serializers.Serializer):
    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_pdf_url(self, obj) -> str | None:
        return _file_url(self, obj.pdf)


_PLACED_READ_FIELDS = ["id", "region", "municipality", "is_published", "position"]
_STAMPS = ["created_at", "updated_at"]


@cache
def read_serializer(kind: services.Kind) -> type[serializers.ModelSerializer]:
    """The shape a client reads rows of `kind` in."""
    name = kind.model.__name__
    attrs: dict = {}
    extra: list[str] = []
    bases: tuple[type, ...] = (_PlacedRead,)
    if kind.model is News:
        attrs["image_url"] = serializers.SerializerMethodField(help_text="Адрес картинки или null.")
        bases = (_PlacedRead, _NewsImage)
        extra = ["published_at", "image_url"]
    elif "roles" in kind.fields:
        attrs["roles"] = serializers.ListField(
            child=serializers.CharField(), read_only=True, help_text=_ROLES_HELP
        )
        attrs["pdf_url"] = serializers.SerializerMethodField(help_text="Адрес PDF или null.")
        bases = (_PlacedRead, _InstructionPdf)
        extra = ["pdf_url"]
    if "links" in kind.fields:
        attrs["links"] = serializers.ListField(
            child=serializers.CharField(), read_only=True, help_text=_LINKS_HELP
        )
    fields = [*_PLACED_READ_FIELDS, *kind.fields, *extra, *_STAMPS]
    attrs["Meta"] = type(
        "Meta", (), {"model": kind.model, "fields": fields, "read_only_fields": fields}
    )
    return type(f"Content{name}Serializer", bases, attrs)


def _field_for(model, name: str) -> serializers.Field:
    """The writable field of one of a kind's own fields (the service checks it again)."""
    if name == "roles":
        return serializers.ListField(
            child=serializers.ChoiceField(choices=Role.choices),
            required=False,
            max_length=len(Role.choices),
            help_text=_ROLES_HELP,
        )
    if name == "links":
        return serializers.ListField(
            child=PatternField(
                pattern=services.LINK_PATTERN, message=services.LINK_MESSAGE, max_length=500
            ),
            min_length=1,
            max_length=services.MAX_LINKS,
            help_text=_LINKS_HELP,
        )
    field = model._meta.get_field(name)
    required = not field.blank and not field.has_default()
    if field.choices:
        return serializers.ChoiceField(
            choices=field.choices,
            required=False,
            help_text="; ".join(f"{c} — {label}" for c, label in field.choices),
        )
    kwargs = {
        "required": required,
        "allow_blank": not required,
        "max_length": field.max_length,
        "help_text": str(field.verbose_name).capitalize(),
    }
    if name == "email":
        return serializers.EmailField(**kwargs)
    return serializers.CharField(**kwargs)


class _PlacedWrite(StrictSerializer):
    """Refuses fields it does not know, so a typo is not silently ignored. A material's region
    is chosen when it is created and never changes, so a replace or a change does not take
    `region` at all: the schema cannot say "equal to the current one", and a body the schema
    allows must not be refused (issue 18)."""

    unknown_field_messages = {"region": services.REGION_IS_FIXED}

    municipality = _id_field(
        required=False,
        allow_null=True,
        help_text="Id муниципалитета; null или не указан — материал всего региона (его ведёт "
        "администратор региона).",
    )
    is_published = serializers.BooleanField(
        required=False, help_text="Опубликовать сразу (по умолчанию — черновик)."
    )
    position = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=services.MAX_POSITION,
        help_text="Порядок в списке: меньше — выше.",
    )


@cache
def write_serializer(kind: services.Kind) -> type[serializers.Serializer]:
    """The body of a replace (PUT) or a change (PATCH) of `kind`: no region."""
    attrs = {name: _field_for(kind.model, name) for name in kind.fields}
    return type(f"Content{kind.model.__name__}WriteSerializer", (_PlacedWrite,), attrs)


@cache
def create_serializer(kind: services.Kind) -> type[serializers.Serializer]:
    """The body of a create (POST): the write shape, placed by a region or a municipality
    (a new row needs one of them; the schema says so with anyOf)."""
    return type(
        f"Content{kind.model.__name__}CreateSerializer",
        (write_serializer(kind),),
        {
            "at_least_one_of": ("region", "municipality"),
            "region": _id_field(
                required=False,
                help_text="Id региона; если не указан — регион муниципалитета. Потом не меняется.",
            ),
        },
    )


# ------------------------------------------------------------------ one-per-place cards


class PortalSettingsSerializer(serializers.ModelSerializer):
    region = serializers.IntegerField(source="region_id", read_only=True)
    privacy_policy_file_url = serializers.SerializerMethodField(
        help_text="Адрес файла политики обработки персональных данных или null."
    )
    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="null — карточка ещё не заполнялась."
    )

    class Meta:
        model = PortalSettings
        fields = [
            "region",
            *services.PORTAL_FIELDS,
            "privacy_policy_file_url",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_privacy_policy_file_url(self, card) -> str | None:
        return _file_url(self, card.privacy_policy_file)


class _StrictWrite(_PlacedWrite):
    region = None
    municipality = None
    is_published = None
    position = None


def _portal_write_fields() -> dict[str, serializers.Field]:
    out = {}
    for name in services.PORTAL_FIELDS:
        field = PortalSettings._meta.get_field(name)
        kwargs = {
            "required": False,
            "allow_blank": True,
            "max_length": field.max_length,
            "help_text": str(field.verbose_name).capitalize(),
        }
        if name == "email":
            out[name] = serializers.EmailField(**kwargs)
        elif name.endswith("_url"):
            out[name] = serializers.URLField(**kwargs)
        else:
            out[name] = serializers.CharField(**kwargs)
    return out


PortalSettingsWriteSerializer = type(
    "PortalSettingsWriteSerializer", (_StrictWrite,), _portal_write_fields()
)


class MunicipalityPageSerializer(serializers.ModelSerializer):
    municipality = serializers.IntegerField(source="municipality_id", read_only=True)
    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="null — страница ещё не заполнялась."
    )

    class Meta:
        model = MunicipalityPage
        fields = ["municipality", "certificate_text", "updated_at"]
        read_only_fields = fields


class MunicipalityPageWriteSerializer(_StrictWrite):
    certificate_text = serializers.CharField(
        allow_blank=True,
        max_length=MunicipalityPage._meta.get_field("certificate_text").max_length,
        help_text="Как получить сертификат: простой текст, пустая строка отделяет абзацы.",
    )


class ExpertProfileSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", read_only=True)
    name = serializers.CharField(source="user.full_name", read_only=True, help_text="ФИО.")
    region = serializers.IntegerField(source="region_id", read_only=True)

    class Meta:
        model = ExpertProfile
        fields = [
            "id",
            "user",
            "name",
            "region",
            "post",
            "organization_name",
            "description",
            "is_public",
            "updated_at",
        ]
        read_only_fields = fields


def _expert_text(name: str) -> serializers.CharField:
    field = ExpertProfile._meta.get_field(name)
    return serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=field.max_length,
        help_text=str(field.verbose_name).capitalize(),
    )


class ExpertProfileWriteSerializer(_StrictWrite):
    region = _id_field(
        required=False,
        help_text="Id региона, на портале которого показывать карточку (при первом сохранении "
        "обязателен).",
    )
    post = _expert_text("post")
    organization_name = _expert_text("organization_name")
    description = _expert_text("description")
    is_public = serializers.BooleanField(required=False, help_text="Показывать публично.")
