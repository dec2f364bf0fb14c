"""API of public content: one viewset class for the five kinds of rows (parametrised by the
kind), and the region's portal card, a municipality's page and the experts' cards. Reads are
scoped by `for_user` (drafts only to their editors); each write is one service call."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from pfdo.common.api.permissions import RulesPermission
from pfdo.common.api.query import query_id
from pfdo.common.api.viewsets import ScopedModelViewSet
from pfdo.common.authz import authorize
from pfdo.common.errors import NotFound, ValidationFailed
from pfdo.common.ids import MAX_ID
from pfdo.content import services
from pfdo.content.api.serializers import (
    ExpertProfileSerializer,
    ExpertProfileWriteSerializer,
    MunicipalityPageSerializer,
    MunicipalityPageWriteSerializer,
    PortalSettingsSerializer,
    PortalSettingsWriteSerializer,
    create_serializer,
    read_serializer,
    upload_serializer,
    write_serializer,
)
from pfdo.content.filters import ContentFilter
from pfdo.content.models import ExpertProfile, MunicipalityPage, PortalSettings
from pfdo.content.rules import OWN_EXPERT_PROFILE_REFUSED
from pfdo.territory.models import Municipality, Region

SCOPE = (
    "Без входа и всем — опубликованные; администратор региона видит и черновики региона, "
    "оператор муниципалитета — черновики своего муниципалитета."
)
EDITORS = (
    "Материал муниципалитета ведут его операторы и администраторы региона, материал всего "
    "региона (без муниципалитета) — только администраторы региона. Чужой опубликованный "
    "материал — 403, чужой черновик — 404. Ошибки полей — 400 validation_error с "
    "сообщением у поля."
)


def _region(value) -> Region:
    region = Region.objects.for_user(None).filter(pk=value).first()
    if region is None:
        raise ValidationFailed(fields={"region": "Такого региона нет."})
    return region


def _file_errors_as_file(slot: services.FileSlot, call):
    """`call()`; the service names a bad file by its model field, the request's part is
    `file`: the 400 names `file`."""
    try:
        return call()
    except ValidationFailed as exc:
        if slot.field not in exc.fields:
            raise
        fields = {
            ("file" if name == slot.field else name): msgs for name, msgs in exc.fields.items()
        }
        raise ValidationFailed(exc.message, fields=fields) from exc


def _upload(slot: services.FileSlot, request):
    """The checked `file` part of a PUT, None for a DELETE."""
    if request.method == "DELETE":
        return None
    data = upload_serializer(slot.is_pdf)(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data["file"]


FILE_ERRORS = (
    " Файл проверяется по содержимому (PDF — по подписи %PDF-, картинка — по формату и "
    "размерам); ошибка — 400 validation_error у поля `file`, ничего не меняется. Сохраняется "
    "под сгенерированным именем."
)


def _municipality(value) -> Municipality | None:
    if value is None:
        return None
    municipality = Municipality.objects.for_user(None).filter(pk=value).first()
    if municipality is None:
        raise ValidationFailed(fields={"municipality": "Такого муниципалитета нет."})
    return municipality


class PlacedContentViewSet(mixins.UpdateModelMixin, mixins.DestroyModelMixin, ScopedModelViewSet):
    """Rows of one kind (`kind`): list, read, create, replace, change, delete, publish."""

    kind: services.Kind
    filterset_class = ContentFilter
    permission_map = {
        "list": None,
        "retrieve": None,
        # Officials only; which region or municipality they may write to the service decides.
        "create": "content.manage",
        "update": "content.edit",
        "partial_update": "content.edit",
        "destroy": "content.edit",
        "publish": "content.edit",
        "unpublish": "content.edit",
        "attachment": "content.edit",  # the file (news: image, instructions: pdf), if any
    }

    def scope_queryset(self, queryset):
        return queryset.order_by(*self.kind.model._meta.ordering)

    def get_serializer_class(self):
        return read_serializer(self.kind)

    def _read(self, obj, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(obj).data, status=code)

    def _values(self, shape, *, partial: bool) -> dict:
        data = shape(self.kind)(data=self.request.data, partial=partial)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    def create(self, request):
        values = self._values(create_serializer, partial=False)
        municipality = _municipality(values.pop("municipality", None))
        region_id = values.pop("region", None)
        if region_id is None and municipality is None:
            raise ValidationFailed(
                fields={"region": "Укажите регион (или муниципалитет, тогда — его регион)."}
            )
        region = _region(region_id) if region_id is not None else municipality.region
        obj = services.create(
            actor=request.user,
            kind=self.kind,
            region=region,
            municipality=municipality,
            **values,
        )
        return self._read(obj, status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        obj = self.get_object()
        values = self._values(write_serializer, partial=partial)
        extra = {}
        if "municipality" in values:
            extra["municipality"] = _municipality(values.pop("municipality"))
        elif not partial:
            # A replacement without a municipality places the row region-wide.
            extra["municipality"] = None
        obj = services.update(actor=request.user, obj=obj, **extra, **values)
        return self._read(obj)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        services.delete(actor=request.user, obj=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._read(services.publish(actor=request.user, obj=self.get_object()))

    @action(detail=True, methods=["post"])
    def unpublish(self, request, pk=None):
        return self._read(services.unpublish(actor=request.user, obj=self.get_object()))


def _attachment_action(kind: services.Kind, slot: services.FileSlot):
    """`PUT/DELETE …/{id}/<file field>/`: upload or remove the file of a row of `kind`."""
    read = read_serializer(kind)
    what = "PDF" if slot.is_pdf else "картинку"

    def attachment(self, request, pk=None):
        obj = self.get_object()
        upload = _upload(slot, request)
        obj = _file_errors_as_file(
            slot, lambda: services.set_file(actor=request.user, obj=obj, upload=upload)
        )
        return self._read(obj)

    attachment = action(
        detail=True,
        methods=["put", "delete"],
        url_path=slot.field,
        url_name=slot.field,
        parser_classes=[MultiPartParser],
    )(attachment)
    attachment = extend_schema(
        methods=["DELETE"],
        summary=f"Удалить {what}: {kind.singular}",
        description="Файла нет — ничего не меняется. " + EDITORS,
        request=None,
        responses={200: read},
        tags=["content"],
    )(attachment)
    return extend_schema(
        methods=["PUT"],
        summary=f"Загрузить {what}: {kind.singular}",
        description="Заменяет текущий файл (multipart, часть `file`)."
        + FILE_ERRORS
        + " "
        + EDITORS,
        request={"multipart/form-data": upload_serializer(slot.is_pdf)},
        responses={200: read},
        tags=["content"],
    )(attachment)


def placed_viewset(slug: str) -> type[PlacedContentViewSet]:
    """The viewset of one kind: the common class with the kind's model, shapes and summaries."""
    kind = services.KINDS[slug]
    read, write = read_serializer(kind), write_serializer(kind)
    label, one = kind.label, kind.singular
    attrs = {"kind": kind, "model": kind.model, "__doc__": f"{label} портала."}
    slot = services.file_slot(kind.model)
    if slot is not None:
        attrs["attachment"] = _attachment_action(kind, slot)
    cls = type(f"{kind.model.__name__}ViewSet", (PlacedContentViewSet,), attrs)
    tags = ["content"]
    return extend_schema_view(
        list=extend_schema(summary=label, description=SCOPE, tags=tags),
        retrieve=extend_schema(summary=f"{one.capitalize()}", description=SCOPE, tags=tags),
        create=extend_schema(
            summary=f"Добавить: {one}",
            description=EDITORS,
            request=create_serializer(kind),
            responses={201: read},
            tags=tags,
        ),
        update=extend_schema(
            summary=f"Заменить: {one}",
            description=EDITORS + " Не переданный муниципалитет — материал всего региона.",
            request=write,
            responses={200: read},
            tags=tags,
        ),
        partial_update=extend_schema(
            summary=f"Изменить: {one}",
            description=EDITORS + " Не переданные поля не меняются.",
            request=write,
            responses={200: read},
            tags=tags,
        ),
        destroy=extend_schema(
            summary=f"Удалить: {one}", description=EDITORS, responses={204: None}, tags=tags
        ),
        publish=extend_schema(
            summary=f"Опубликовать: {one}",
            description="Новость при первой публикации получает дату публикации. " + EDITORS,
            request=None,
            responses={200: read},
            tags=tags,
        ),
        unpublish=extend_schema(
            summary=f"Снять с публикации: {one}",
            description=EDITORS,
            request=None,
            responses={200: read},
            tags=tags,
        ),
    )(cls)


# ------------------------------------------------------------------ one-per-place cards


def _path_id(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=description)


def _found(model, value):
    """The row with pk `value` from the URL (digits only by the route) or 404."""
    pk = int(value)
    if pk < 1 or pk > MAX_ID:
        raise NotFound()
    return get_object_or_404(model.objects.for_user(None), pk=pk)


class _CardViewSet(viewsets.ViewSet):
    permission_classes = [RulesPermission]
    lookup_value_regex = "[0-9]+"

    def _body(self, serializer_class) -> dict:
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)


@extend_schema_view(
    retrieve=extend_schema(
        summary="Карточка регионального оператора",
        description="Контакты оператора, политика обработки персональных данных и заголовки "
        "портала региона. Читают все; у незаполненной карточки поля пустые.",
        parameters=[_path_id("region_id", "Id региона")],
        responses={200: PortalSettingsSerializer},
        tags=["content"],
    ),
    update=extend_schema(
        summary="Изменить карточку регионального оператора",
        description="Только администратор региона. Не переданные поля не меняются; ссылки — "
        "только http(s).",
        parameters=[_path_id("region_id", "Id региона")],
        request=PortalSettingsWriteSerializer,
        responses={200: PortalSettingsSerializer},
        tags=["content"],
    ),
)
class PortalSettingsViewSet(_CardViewSet):
    lookup_url_kwarg = "region_id"
    permission_map = {
        "retrieve": None,
        "update": "content.edit_portal",
        "privacy_policy_file": "content.edit_portal",
    }

    def _card(self, region) -> PortalSettings:
        return PortalSettings.objects.filter(region=region).first() or PortalSettings(
            region=region, updated_at=None
        )

    def retrieve(self, request, region_id=None):
        region = _found(Region, region_id)
        return Response(
            PortalSettingsSerializer(self._card(region), context={"request": request}).data
        )

    def update(self, request, region_id=None):
        region = _found(Region, region_id)
        card = services.save_portal_settings(
            actor=request.user, region=region, **self._body(PortalSettingsWriteSerializer)
        )
        return Response(PortalSettingsSerializer(card, context={"request": request}).data)

    @extend_schema(
        methods=["PUT"],
        summary="Загрузить файл политики обработки персональных данных (PDF)",
        description="Только администратор региона; заменяет текущий файл (multipart, часть "
        "`file`)." + FILE_ERRORS,
        parameters=[_path_id("region_id", "Id региона")],
        request={"multipart/form-data": upload_serializer(True)},
        responses={200: PortalSettingsSerializer},
        tags=["content"],
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Удалить файл политики обработки персональных данных",
        description="Только администратор региона. Файла нет — ничего не меняется.",
        parameters=[_path_id("region_id", "Id региона")],
        request=None,
        responses={200: PortalSettingsSerializer},
        tags=["content"],
    )
    @action(
        detail=True,
        methods=["put", "delete"],
        url_path="privacy-policy-file",
        url_name="privacy-policy-file",
        parser_classes=[MultiPartParser],
    )
    def privacy_policy_file(self, request, region_id=None):
        region = _found(Region, region_id)
        slot = services.FILE_SLOTS[PortalSettings]
        upload = _upload(slot, request)
        card = _file_errors_as_file(
            slot,
            lambda: services.set_privacy_policy_file(
                actor=request.user, region=region, upload=upload
            ),
        )
        return Response(PortalSettingsSerializer(card, context={"request": request}).data)


@extend_schema_view(
    retrieve=extend_schema(
        summary="Страница муниципалитета",
        description="Как получить сертификат в муниципалитете. Читают все; у незаполненной "
        "страницы текст пустой.",
        parameters=[_path_id("municipality_id", "Id муниципалитета")],
        responses={200: MunicipalityPageSerializer},
        tags=["content"],
    ),
    update=extend_schema(
        summary="Изменить страницу муниципалитета",
        description="Операторы муниципалитета и администраторы его региона.",
        parameters=[_path_id("municipality_id", "Id муниципалитета")],
        request=MunicipalityPageWriteSerializer,
        responses={200: MunicipalityPageSerializer},
        tags=["content"],
    ),
)
class MunicipalityPageViewSet(_CardViewSet):
    lookup_url_kwarg = "municipality_id"
    permission_map = {"retrieve": None, "update": "content.edit_municipality_page"}

    def retrieve(self, request, municipality_id=None):
        municipality = _found(Municipality, municipality_id)
        page = MunicipalityPage.objects.filter(municipality=municipality).first()
        page = page or MunicipalityPage(municipality=municipality, updated_at=None)
        return Response(MunicipalityPageSerializer(page).data)

    def update(self, request, municipality_id=None):
        municipality = _found(Municipality, municipality_id)
        page = services.save_municipality_page(
            actor=request.user,
            municipality=municipality,
            **self._body(MunicipalityPageWriteSerializer),
        )
        return Response(MunicipalityPageSerializer(page).data)


EXPERT_SCOPE = (
    "Без входа — опубликованные карточки (is_public); эксперт видит и свою, администратор "
    "региона — карточки своего региона."
)


@extend_schema_view(
    list=extend_schema(
        summary="Карточки экспертов",
        description=EXPERT_SCOPE,
        parameters=[
            OpenApiParameter(
                "region",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                description="Id региона.",
            )
        ],
        tags=["content"],
    ),
    retrieve=extend_schema(summary="Карточка эксперта", description=EXPERT_SCOPE, tags=["content"]),
    update=extend_schema(
        summary="Изменить карточку эксперта",
        description="Администратор региона карточки. Не переданные поля не меняются.",
        request=ExpertProfileWriteSerializer,
        responses={200: ExpertProfileSerializer},
        tags=["content"],
    ),
)
class ExpertProfileViewSet(mixins.UpdateModelMixin, ScopedModelViewSet):
    model = ExpertProfile
    serializer_class = ExpertProfileSerializer
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "put", "head", "options"]
    permission_map = {
        "list": None,
        "retrieve": None,
        "update": "content.edit_expert_profile",
        "me": "content.edit_expert_profile",
    }

    def scope_queryset(self, queryset):
        queryset = queryset.select_related("user").order_by("user__last_name", "pk")
        if self.action == "list":
            region = query_id(self.request.query_params, "region", "Регион")
            if region is not None:
                queryset = queryset.filter(region_id=region)
        return queryset

    def _save(self, user):
        values = self._body()
        card = services.save_expert_profile(actor=self.request.user, user=user, **values)
        card = ExpertProfile.objects.select_related("user").get(pk=card.pk)
        return Response(ExpertProfileSerializer(card).data)

    def _body(self) -> dict:
        data = ExpertProfileWriteSerializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "region" in values:
            values["region"] = _region(values["region"])
        return values

    def update(self, request, pk=None):
        card = self.get_object()
        return self._save(card.user)

    @extend_schema(
        methods=["GET"],
        summary="Моя карточка эксперта",
        description="Карточка вошедшего эксперта; ещё не заполнена — 404.",
        responses={200: ExpertProfileSerializer},
        tags=["content"],
    )
    @extend_schema(
        methods=["PUT"],
        summary="Заполнить или изменить мою карточку эксперта",
        description="Только эксперт. При первом сохранении нужен регион (`region`): эксперт "
        "не состоит в регионе и выбирает, на портале какого региона его показывать. Не "
        "переданные поля не меняются.",
        request=ExpertProfileWriteSerializer,
        responses={200: ExpertProfileSerializer},
        tags=["content"],
    )
    @action(detail=False, methods=["get", "put"])
    def me(self, request):
        if request.method == "PUT":
            # A right, not a field of the body: refused before the body is read.
            authorize(
                request.user,
                "content.keep_own_expert_profile",
                request.user,
                message=OWN_EXPERT_PROFILE_REFUSED,
            )
            return self._save(request.user)
        card = ExpertProfile.objects.select_related("user").filter(user=request.user).first()
        if card is None:
            raise NotFound("Карточка эксперта ещё не заполнена.")
        return Response(ExpertProfileSerializer(card).data)
