"""Compatibility operations: organisations and events of the public showcase.

searchMainPageOrganizations, getMainPageOrganizationDetail, searchMainPageEvents,
getMainPageEventDetail.

- An organisation is a provider in public status (`Provider.objects.public()`: in the registry
  or being checked) of an active municipality; its id is the provider's id. Only what the
  public registry page already shows leaves here: names, the actual address, the director,
  phone, e-mail, site, the number of published programmes — never bank details, never the
  legal address (an ИП's home), never ИНН/КПП/ОГРН (the description has no field for them).
- This system keeps no events: the search answers an empty list (its parameters still
  checked, so a client's mistake is told, not hidden), the card of any event is a 404.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from pfdo.catalog.models import Program
from pfdo.compat.api.base import CompatView, ok
from pfdo.compat.api.errors import NotFound
from pfdo.compat.api.lookups import id_parameter, operator_param, path_id
from pfdo.compat.api.schema import (
    EXPAND,
    OPERATOR,
    OPERATOR_OPTIONAL,
    PAGE,
    PER_PAGE,
    SEARCH_NAME,
    envelope,
)
from pfdo.providers.models import Provider


def search_name(params) -> str | None:
    """`search[name]`, checked (other search keys are not this operation's and are ignored)."""
    keys = params.search()
    return params.text(keys["name"]) if "name" in keys else None


def public_organizations():
    """Providers the public may see, of active municipalities."""
    return Provider.objects.public().filter(municipality__is_active=True)


# ---------------------------------------------------------------- serializers (schema)


class SearchOrganizationItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="ID организации (поставщика) в этой системе.")
    name = serializers.CharField(help_text="Краткое наименование.")
    address = serializers.CharField(allow_null=True, help_text="Фактический адрес.")
    image_url = serializers.CharField(allow_null=True, help_text="Всегда null: логотипов нет.")
    fio_contact = serializers.CharField(
        allow_null=True, help_text="Руководитель (как в публичном реестре) или null."
    )
    site = serializers.CharField(allow_null=True, help_text="Сайт или null.")

    class Meta:
        ref_name = "PfdoV2SearchOrganizationItem"


class SearchOrganizationDetailSerializer(SearchOrganizationItemSerializer):
    image_color = serializers.CharField(allow_null=True, help_text="Всегда null.")
    director_name = serializers.CharField(allow_null=True, help_text="Руководитель или null.")
    full_name = serializers.CharField(help_text="Полное наименование.")
    phone = serializers.CharField(allow_null=True, help_text="Телефон организации.")
    email = serializers.CharField(allow_null=True, help_text="Электронная почта организации.")
    municipality_id = serializers.IntegerField(help_text="ID муниципалитета.")
    operator_id = serializers.IntegerField(help_text="ID регионального оператора (региона).")
    programs_count = serializers.IntegerField(help_text="Опубликованных программ.")

    class Meta:
        ref_name = "PfdoV2SearchOrganizationDetail"


class EventItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField(allow_null=True)
    image = serializers.CharField(allow_null=True)
    address = serializers.CharField(allow_null=True)
    period = serializers.CharField(allow_null=True)
    deadline_entry = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "PfdoV2EventItem"


class EventDetailSerializer(EventItemSerializer):
    description = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "PfdoV2EventDetail"


# ---------------------------------------------------------------- organisations

_ITEM_FIELDS = ("pk", "short_name", "actual_address", "director_name", "website")


def _item(row: dict) -> dict:
    return {
        "id": row["pk"],
        "name": row["short_name"],
        "address": row["actual_address"] or None,
        "image_url": None,
        "fio_contact": row["director_name"] or None,
        "site": row["website"] or None,
    }


class OrganizationsView(CompatView):
    @extend_schema(
        operation_id="searchMainPageOrganizations",
        summary="Поиск организаций региона",
        description=(
            "Организации (поставщики из реестра) действующих муниципалитетов региона, по "
            "краткому наименованию. search[name] — часть краткого или полного наименования "
            "без учёта регистра. Неизвестный operator — 404."
        ),
        parameters=[OPERATOR, PAGE, PER_PAGE, EXPAND, SEARCH_NAME],
        responses={200: envelope("Organizations", SearchOrganizationItemSerializer, many=True)},
    )
    def get(self, request):
        page = self.params.page()
        name = search_name(self.params)
        self.params.expand(frozenset())
        region = operator_param(self.params)
        queryset = (
            public_organizations()
            .filter(municipality__region=region)
            .search_name(name or "")
            .order_by("short_name", "pk")
            .values(*_ITEM_FIELDS)
        )
        return ok([_item(row) for row in page.slice(queryset)])


class OrganizationDetailView(CompatView):
    @extend_schema(
        operation_id="getMainPageOrganizationDetail",
        summary="Карточка организации",
        description=(
            "Сверх описания оригинала: full_name, phone, email, municipality_id, operator_id, "
            "programs_count (опубликованных программ). С operator — только организация этого "
            "региона, иначе 404."
        ),
        parameters=[id_parameter("ID организации."), OPERATOR_OPTIONAL, EXPAND],
        responses={200: envelope("OrganizationDetail", SearchOrganizationDetailSerializer)},
    )
    def get(self, request, id):
        self.params.expand(frozenset())
        region = operator_param(self.params, required=False, of_object=True)
        pk = path_id(id)
        queryset = public_organizations().select_related("municipality")
        if region is not None:
            queryset = queryset.filter(municipality__region=region)
        provider = queryset.filter(pk=pk).first()
        if provider is None:
            raise NotFound(f"Нет организации с id {pk}.")
        data = _item(
            {
                "pk": provider.pk,
                "short_name": provider.short_name,
                "actual_address": provider.actual_address,
                "director_name": provider.director_name,
                "website": provider.website,
            }
        )
        data.update(
            image_color=None,
            director_name=provider.director_name or None,
            full_name=provider.full_name,
            phone=provider.phone or None,
            email=provider.email or None,
            municipality_id=provider.municipality_id,
            operator_id=provider.municipality.region_id,
            programs_count=Program.objects.published().filter(provider=provider).count(),
        )
        return ok(data)


# ---------------------------------------------------------------- events


class EventsView(CompatView):
    @extend_schema(
        operation_id="searchMainPageEvents",
        summary="Поиск мероприятий (их нет: пустой список)",
        description=(
            "В этой системе нет мероприятий: ответ — всегда пустой список. Параметры "
            "проверяются как у поиска организаций; неизвестный operator — 404."
        ),
        parameters=[OPERATOR, PAGE, PER_PAGE, EXPAND, SEARCH_NAME],
        responses={200: envelope("Events", EventItemSerializer, many=True)},
    )
    def get(self, request):
        self.params.page()
        search_name(self.params)
        self.params.expand(frozenset())
        operator_param(self.params)
        return ok([])


class EventDetailView(CompatView):
    @extend_schema(
        operation_id="getMainPageEventDetail",
        summary="Карточка мероприятия (их нет: всегда 404)",
        description="В этой системе нет мероприятий: на любой id ответ 404.",
        parameters=[id_parameter("ID мероприятия."), OPERATOR_OPTIONAL, EXPAND],
        responses={200: envelope("EventDetail", EventDetailSerializer)},
    )
    def get(self, request, id):
        self.params.expand(frozenset())
        self.params.integer("operator", minimum=1)
        raise NotFound("Мероприятий в этой системе нет.")


routes = [
    path(
        "main-page/search/organizations",
        OrganizationsView.as_view(),
        name="compat-organizations",
    ),
    path(
        "main-page/search/organizations/<str:id>",
        OrganizationDetailView.as_view(),
        name="compat-organization",
    ),
    path("main-page/search/events", EventsView.as_view(), name="compat-events"),
    path("main-page/search/events/<str:id>", EventDetailView.as_view(), name="compat-event"),
]
