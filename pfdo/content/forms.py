"""Forms of the content pages: one row form built from a kind's fields, the three cards.

Forms only parse; the services check every rule and their field messages land on the fields.
A form whose model has a file (services.FILE_SLOTS) is multipart: a file input, the current
file with its link (the template's) and a «remove» checkbox.
"""

from __future__ import annotations

from django import forms
from django.db import models

from pfdo.accounts.roles import Role
from pfdo.content import selectors, services
from pfdo.content.models import ExpertProfile, MunicipalityPage, PortalSettings
from pfdo.territory.models import Region

WHOLE_REGION = "Весь регион"


def _form_field(model, name: str) -> forms.Field:
    if name == "roles":
        return forms.MultipleChoiceField(
            label="Для кого",
            choices=Role.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
    if name == "links":
        return forms.CharField(
            label="Ссылки на видео",
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=f"По одной в строке, адреса http(s); не больше {services.MAX_LINKS}.",
        )
    field = model._meta.get_field(name)
    if field.choices:
        return forms.TypedChoiceField(
            label=field.verbose_name.capitalize(), choices=field.choices, coerce=int
        )
    required = not field.blank
    label = str(field.verbose_name).capitalize()
    kwargs = {"label": label, "required": required, "max_length": field.max_length}
    if field.get_internal_type() == "TextField":
        rows = 12 if (field.max_length or 0) > 5000 else 4
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": rows}),
            help_text="Простой текст: пустая строка начинает новый абзац." if rows > 4 else "",
            strip=False,
            **kwargs,
        )
    if name == "email":
        return forms.EmailField(**kwargs)
    return forms.CharField(**kwargs)


REMOVE_SUFFIX = "_remove"


class FileFieldsMixin:
    """The file input of the model's file slot and its «remove» checkbox; `current_file` is
    the stored file (for the link) or None."""

    slot: services.FileSlot | None = None
    current_file = None

    def add_file_fields(self, model, instance) -> None:
        self.slot = services.file_slot(model)
        if self.slot is None:
            return
        name = self.slot.field
        if self.slot.is_pdf:
            accept = "application/pdf,.pdf"
            limit = services.pdf_max_bytes() // services.MB
            help_text = f"Документ PDF, до {limit} МБ."
        else:
            accept = "image/jpeg,image/png,image/webp"
            help_text = f"JPEG, PNG или WebP, до {services.IMAGE_MAX_BYTES // services.MB} МБ."
        current = getattr(instance, name, None) if instance is not None else None
        self.current_file = current or None
        if self.current_file:
            help_text += " Новый файл заменит текущий."
        self.fields[name] = forms.FileField(
            label=self.slot.label,
            required=False,
            help_text=help_text,
            widget=forms.FileInput(attrs={"accept": accept}),
        )
        if self.current_file:
            self.fields[name + REMOVE_SUFFIX] = forms.BooleanField(
                label="Удалить текущий файл", required=False
            )

    @property
    def current_file_name(self) -> str:
        return self.current_file.name.rsplit("/", 1)[-1] if self.current_file else ""

    def clean(self):
        cleaned = super().clean()
        if self.slot is not None:
            name = self.slot.field
            if cleaned.get(name) and cleaned.get(name + REMOVE_SUFFIX):
                self.add_error(
                    name, "Выберите новый файл или отметьте «Удалить текущий файл», не то и другое."
                )
        return cleaned

    def file_values(self) -> dict:
        """The file to store ({field: upload}), to remove ({field: None}) or nothing ({})."""
        if self.slot is None:
            return {}
        name = self.slot.field
        if self.cleaned_data.get(name):
            return {name: self.cleaned_data[name]}
        if self.cleaned_data.get(name + REMOVE_SUFFIX):
            return {name: None}
        return {}


class PlacedForm(FileFieldsMixin, forms.Form):
    """A row of one kind: where it belongs, its own fields, its order and publication."""

    place = forms.ChoiceField(label="Для кого материал")
    position = forms.IntegerField(
        label="Порядок",
        min_value=0,
        max_value=services.MAX_POSITION,
        initial=0,
        help_text="Меньше — выше в списке.",
    )
    is_published = forms.BooleanField(label="Опубликовать", required=False)

    def __init__(self, *args, kind: services.Kind, user, instance=None, **kwargs):
        self.kind = kind
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            initial = {name: getattr(instance, name) for name in kind.fields}
            if "links" in kind.fields:
                initial["links"] = "\n".join(instance.links)
            initial.update(
                place=_place_key(instance.region_id, instance.municipality_id),
                position=instance.position,
                is_published=instance.is_published,
            )
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        # The kind's own fields first, in the kind's order.
        own = {name: _form_field(kind.model, name) for name in kind.fields}
        self.fields = {**own, **self.fields}
        self._places = {
            _place_key(region.pk, municipality.pk if municipality else None): (region, municipality)
            for region, municipality in selectors.placements(user)
        }
        if instance is not None:
            self._places.setdefault(
                _place_key(instance.region_id, instance.municipality_id),
                (instance.region, instance.municipality),
            )
        many_regions = len({region.pk for region, _ in self._places.values()}) > 1
        self.fields["place"].choices = [
            (key, _place_label(region, municipality, many_regions))
            for key, (region, municipality) in self._places.items()
        ]
        self.add_file_fields(kind.model, instance)
        # The file right after the kind's own fields, before where and whether it is shown.
        files = [name for name in self.fields if self.slot and name.startswith(self.slot.field)]
        rest = [name for name in self.fields if name not in own and name not in files]
        self.fields = {name: self.fields[name] for name in (*own, *files, *rest)}

    def chosen_place(self):
        return self._places[self.cleaned_data["place"]]

    def values(self) -> dict:
        return {
            **{
                name: self.cleaned_data[name]
                for name in (*self.kind.fields, "position", "is_published")
            },
            **self.file_values(),
        }


def _place_key(region_id, municipality_id) -> str:
    return f"m{municipality_id}" if municipality_id else f"r{region_id}"


def _place_label(region, municipality, many_regions: bool) -> str:
    if municipality is None:
        return f"{WHOLE_REGION}: {region.name}" if many_regions else WHOLE_REGION
    return municipality.name


def _https_by_default(field, **kwargs):
    # An address typed without a scheme gets https:// (Django 6's default, said now).
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class PortalSettingsForm(FileFieldsMixin, forms.ModelForm):
    class Meta:
        model = PortalSettings
        fields = list(services.PORTAL_FIELDS)
        formfield_callback = _https_by_default

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_file_fields(PortalSettings, kwargs.get("instance"))

    def values(self) -> dict:
        return {
            **{name: self.cleaned_data[name] for name in services.PORTAL_FIELDS},
            **self.file_values(),
        }


class MunicipalityPageForm(forms.ModelForm):
    class Meta:
        model = MunicipalityPage
        fields = ["certificate_text"]
        widgets = {"certificate_text": forms.Textarea(attrs={"rows": 14})}
        help_texts = {
            "certificate_text": "Простой текст: пустая строка начинает новый абзац.",
        }


class ExpertProfileForm(forms.ModelForm):
    region = forms.ModelChoiceField(
        label="Регион",
        queryset=Region.objects.order_by("name"),
        empty_label=None,
        help_text="На портале какого региона показывать карточку.",
    )

    class Meta:
        model = ExpertProfile
        fields = ["region", "post", "organization_name", "description", "is_public"]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}
