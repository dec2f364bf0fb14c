"""Compatibility operations: regions, the regional operator and municipalities.

getMainPageRegions, getOperatorRegions, getMainPageOperatorInfo, getMainPageMunicipalities,
getMunicipalityInfo, getCertificateWays, getMainPageSettings, getPublicMunicipalities,
getMunicipalityUsefulContacts.

The operator is a region (its id is the region's id); its public card is the region's
content.PortalSettings, and a field the operator has not filled is the original's null. Only
active municipalities are shown; an unknown or inactive one, like an unknown operator, is the
404 envelope.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers

from pfdo.catalog.search import contains_text
from pfdo.compat.api.base import CompatView, ok
from pfdo.compat.api.errors import NotFound
from pfdo.compat.api.lookups import (
    id_parameter,
    operator_param,
    path_id,
    published_of_active,
    region_of_path,
)
from pfdo.compat.api.schema import (
    EXPAND,
    OPERATOR_ID,
    PAGE,
    PER_PAGE,
    SEARCH_NAME,
    SEARCH_OPERATOR_ID,
    envelope,
)
from pfdo.compat.portal import absolute, region_urls, site_root
from pfdo.compat.text import or_none, paragraphs
from pfdo.content.models import MunicipalityPage, PortalSettings, UsefulContact
from pfdo.territory.models import Municipality, Region

# ПФДО's map tells where a region's certificates come from; here every region issues them in
# this system (the online application and the municipal operator), one source.
CERTIFICATE_SOURCE_THIS_SYSTEM = 1

# The ways a family gets a certificate here (domain: "The parent registers (or the operator
# registers them in person)"); the ids are stable, a portal may key its pictures on them.
WAY_ONLINE = 1
WAY_IN_PERSON = 2


def _operator_path_parameter() -> OpenApiParameter:
    return id_parameter("ID регионального оператора — id региона в этой системе.", "operatorId")


# ------------------------------------------------------------------ regions


class RegionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="ID регионального оператора (региона).")
    name = serializers.CharField()
    url = serializers.URLField(help_text="Адрес портала региона.")
    external = serializers.BooleanField(help_text="Всегда false: портал — эта система.")

    class Meta:
        ref_name = "PfdoV2Region"


class RegionsView(CompatView):
    @extend_schema(
        operation_id="getMainPageRegions",
        summary="Регионы на публичной витрине",
        responses={200: envelope("Regions", RegionSerializer, many=True)},
    )
    def get(self, request):
        regions = list(Region.objects.order_by("name", "pk").values("pk", "name"))
        urls = region_urls(request, [row["pk"] for row in regions])
        data = [
            {"id": row["pk"], "name": row["name"], "url": urls[row["pk"]], "external": False}
            for row in regions
        ]
        return ok(data)


class MapRegionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="ID региона.")
    title = serializers.CharField(help_text="Название региона.")
    href = serializers.CharField(help_text="Адрес портала региона.")
    enabled = serializers.BooleanField(help_text="Есть ли в регионе подключённые муниципалитеты.")
    reg_id = serializers.CharField(help_text="Код субъекта (ОКАТО, две цифры); пусто — не задан.")
    operator_id = serializers.IntegerField(help_text="ID регионального оператора (= id региона).")
    certificate_source = serializers.IntegerField(
        help_text="Источник сертификатов: 1 — выдаются в этой системе (всегда; есть в ответе и "
        "без expand=certificate_source)."
    )

    class Meta:
        ref_name = "PfdoV2MapRegion"


class OperatorRegionsView(CompatView):
    @extend_schema(
        operation_id="getOperatorRegions",
        summary="Регионы для карты",
        parameters=[EXPAND],
        responses={200: envelope("MapRegions", MapRegionSerializer, many=True)},
    )
    def get(self, request):
        # The only expand value (certificate_source) is always in the answer; the list is
        # still read so a malformed one is a 400.
        self.params.expand({"certificate_source"})
        active = Municipality.objects.active().filter(region=OuterRef("pk"))
        regions = list(
            Region.objects.annotate(enabled=Exists(active))
            .order_by("name", "pk")
            .values("pk", "name", "okato", "enabled")
        )
        urls = region_urls(request, [row["pk"] for row in regions])
        data = [
            {
                "id": row["pk"],
                "title": row["name"],
                "href": urls[row["pk"]],
                "enabled": row["enabled"],
                "reg_id": row["okato"],
                "operator_id": row["pk"],
                "certificate_source": CERTIFICATE_SOURCE_THIS_SYSTEM,
            }
            for row in regions
        ]
        return ok(data)


# ------------------------------------------------------------------ the operator


class PasswordPolicySerializer(serializers.Serializer):
    min_length = serializers.IntegerField(help_text="Наименьшая длина пароля.")
    not_only_digits = serializers.BooleanField(help_text="Пароль не может состоять из цифр.")
    not_common = serializers.BooleanField(help_text="Распространённые пароли не принимаются.")
    not_similar_to_user = serializers.BooleanField(
        help_text="Пароль не может быть похож на имя или почту пользователя."
    )

    class Meta:
        ref_name = "PfdoV2PasswordPolicy"


class OperatorInfoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="Региональный оператор; не задан — название региона.")
    full_region_name = serializers.CharField()
    region = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    phone_extra = serializers.CharField(allow_null=True)
    address_actual = serializers.CharField(allow_null=True)
    address_legal = serializers.CharField(allow_null=True)
    email_operator = serializers.CharField(allow_null=True)
    url = serializers.URLField()
    external = serializers.BooleanField()
    authorized_organization = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="expand=authorized_organization: всегда null — уполномоченная организация "
        "(плательщик) в этой системе — роль сотрудников муниципалитета, отдельной карточки "
        "организации нет.",
    )
    region_password_security_policy = PasswordPolicySerializer(
        required=False, help_text="expand=region_password_security_policy."
    )
    create_pdf_on_certificate_user_change = serializers.BooleanField(
        required=False,
        help_text="expand=create_pdf_on_certificate_user_change: всегда false — PDF сертификата "
        "при смене владельца не создаётся.",
    )

    class Meta:
        ref_name = "PfdoV2OperatorInfo"


OPERATOR_INFO_EXPANDS = frozenset(
    {
        "authorized_organization",
        "region_password_security_policy",
        "create_pdf_on_certificate_user_change",
    }
)


def password_policy() -> dict:
    """The password rules this installation applies (settings.AUTH_PASSWORD_VALIDATORS)."""
    policy = {
        "min_length": 0,
        "not_only_digits": False,
        "not_common": False,
        "not_similar_to_user": False,
    }
    prefix = "django.contrib.auth.password_validation."
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        name = validator["NAME"].removeprefix(prefix)
        if name == "MinimumLengthValidator":
            policy["min_length"] = int(validator.get("OPTIONS", {}).get("min_length", 8))
        elif name == "NumericPasswordValidator":
            policy["not_only_digits"] = True
        elif name == "CommonPasswordValidator":
            policy["not_common"] = True
        elif name == "UserAttributeSimilarityValidator":
            policy["not_similar_to_user"] = True
    return policy


class OperatorInfoView(CompatView):
    @extend_schema(
        operation_id="getMainPageOperatorInfo",
        summary="Региональный оператор: контакты",
        parameters=[_operator_path_parameter(), EXPAND],
        responses={200: envelope("OperatorInfo", OperatorInfoSerializer)},
    )
    def get(self, request, operatorId: str):
        region = region_of_path(operatorId)
        expand = self.params.expand(OPERATOR_INFO_EXPANDS)
        card = PortalSettings.objects.filter(region=region).first()
        data = {
            "id": region.pk,
            "name": (card and card.operator_name.strip()) or region.name,
            "full_region_name": region.name,
            "region": region.name,
            "phone": or_none(card and card.phone),
            "phone_extra": or_none(card and card.phone_extra),
            "address_actual": or_none(card and card.address_actual),
            "address_legal": or_none(card and card.address_legal),
            "email_operator": or_none(card and card.email),
            "url": (card and card.site_url) or site_root(request) + "/",
            "external": False,
        }
        if "authorized_organization" in expand:
            data["authorized_organization"] = None
        if "region_password_security_policy" in expand:
            data["region_password_security_policy"] = password_policy()
        if "create_pdf_on_certificate_user_change" in expand:
            data["create_pdf_on_certificate_user_change"] = False
        return ok(data)


# ------------------------------------------------------------------ municipalities


class MunicipalitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "PfdoV2Municipality"


def _municipalities(queryset) -> list[dict]:
    rows = queryset.active().order_by("name", "pk").values("pk", "name")
    return [{"id": row["pk"], "name": row["name"]} for row in rows]


class OperatorMunicipalitiesView(CompatView):
    @extend_schema(
        operation_id="getMainPageMunicipalities",
        summary="Муниципалитеты регионального оператора",
        parameters=[_operator_path_parameter()],
        responses={200: envelope("Municipalities", MunicipalitySerializer, many=True)},
    )
    def get(self, request, operatorId: str):
        region = region_of_path(operatorId)
        return ok(_municipalities(Municipality.objects.filter(region=region)))


MunicipalityInfoSerializer = inline_serializer(
    name="PfdoV2MunicipalityInfo",
    fields={
        "name": serializers.CharField(),
        "text": serializers.CharField(
            help_text="HTML: текст муниципалитета «как получить сертификат», экранированный, "
            "абзацы в <p>; пусто — текст не задан."
        ),
        "create-certificate-link": serializers.CharField(
            allow_null=True, help_text="Адрес страницы заявления на сертификат на этом сайте."
        ),
        "statement_example": serializers.CharField(
            allow_null=True, help_text="Всегда null: образца заявления нет."
        ),
    },
)


class MunicipalityInfoView(CompatView):
    @extend_schema(
        operation_id="getMunicipalityInfo",
        summary="Муниципалитет: как получить сертификат",
        parameters=[
            OpenApiParameter(
                "municipalityId", int, OpenApiParameter.PATH, description="ID муниципалитета."
            )
        ],
        responses={200: envelope("MunicipalityInfo", MunicipalityInfoSerializer)},
    )
    def get(self, request, municipalityId: str):
        number = path_id(municipalityId)
        municipality = Municipality.objects.active().filter(pk=number).values("pk", "name").first()
        if municipality is None:
            raise NotFound(f"Муниципалитет {number} не найден.")
        text = (
            MunicipalityPage.objects.filter(municipality_id=number)
            .values_list("certificate_text", flat=True)
            .first()
        )
        return ok(
            {
                "name": municipality["name"],
                "text": paragraphs(text),
                "create-certificate-link": absolute(request, reverse("family:apply")),
                "statement_example": None,
            }
        )


class CertificateWaySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="1 — онлайн на портале, 2 — лично у оператора.")
    name = serializers.CharField()
    description = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "PfdoV2CertificateWay"


def certificate_ways(request) -> list[dict]:
    apply_url = absolute(request, reverse("family:apply"))
    return [
        {
            "id": WAY_ONLINE,
            "name": "Онлайн на портале",
            "description": (
                f"Заполните заявление на сайте: {apply_url}. Оператор муниципалитета проверит "
                "его, и номер сертификата придёт на электронную почту."
            ),
        },
        {
            "id": WAY_IN_PERSON,
            "name": "Лично у муниципального оператора",
            "description": (
                "Приходите с документами ребёнка к оператору своего муниципалитета "
                "(управление образования): он зарегистрирует вас и подаст заявление."
            ),
        },
    ]


class CertificateWaysView(CompatView):
    @extend_schema(
        operation_id="getCertificateWays",
        summary="Способы получения сертификата",
        parameters=[_operator_path_parameter()],
        responses={200: envelope("CertificateWays", CertificateWaySerializer, many=True)},
    )
    def get(self, request, operatorId: str):
        region_of_path(operatorId)
        return ok(certificate_ways(request))


class MainPageSettingsSerializer(serializers.Serializer):
    operator_id = serializers.IntegerField()
    blocks_arrangement = serializers.ListField(
        child=serializers.JSONField(),
        help_text="Всегда пустой: порядок блоков главной страницы здесь не настраивается.",
    )
    navigator_title = serializers.CharField(allow_null=True)
    news_title = serializers.CharField(allow_null=True)
    login_form_title = serializers.CharField(allow_null=True)
    certificate_info_cards = serializers.ListField(
        child=serializers.JSONField(),
        help_text="Всегда пустой: карточек о сертификате здесь нет.",
    )

    class Meta:
        ref_name = "PfdoV2MainPageSettings"


class MainPageSettingsView(CompatView):
    @extend_schema(
        operation_id="getMainPageSettings",
        summary="Настройки главной страницы региона",
        parameters=[OPERATOR_ID, EXPAND],
        responses={200: envelope("MainPageSettings", MainPageSettingsSerializer)},
    )
    def get(self, request):
        self.params.expand(frozenset())
        region = operator_param(self.params, "operator_id")
        card = (
            PortalSettings.objects.filter(region=region)
            .values("navigator_title", "news_title", "login_form_title")
            .first()
        ) or {}
        return ok(
            {
                "operator_id": region.pk,
                "blocks_arrangement": [],
                "navigator_title": or_none(card.get("navigator_title")),
                "news_title": or_none(card.get("news_title")),
                "login_form_title": or_none(card.get("login_form_title")),
                "certificate_info_cards": [],
            }
        )


class PublicMunicipalitiesView(CompatView):
    @extend_schema(
        operation_id="getPublicMunicipalities",
        summary="Поиск муниципалитетов",
        parameters=[SEARCH_NAME],
        responses={200: envelope("PublicMunicipalities", MunicipalitySerializer, many=True)},
    )
    def get(self, request):
        self.params.search()
        name = self.params.text("search[name]")
        queryset = Municipality.objects.all()
        if name:
            queryset = queryset.filter(contains_text(queryset, "name", name))
        return ok(_municipalities(queryset))


class UsefulContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    operator_id = serializers.IntegerField()
    municipality_id = serializers.IntegerField(
        allow_null=True, help_text="null — контакт всего региона."
    )
    name = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    address = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "PfdoV2UsefulContact"


class UsefulContactsView(CompatView):
    @extend_schema(
        operation_id="getMunicipalityUsefulContacts",
        summary="Полезные контакты",
        parameters=[SEARCH_OPERATOR_ID, PAGE, PER_PAGE],
        responses={200: envelope("UsefulContacts", UsefulContactSerializer, many=True)},
    )
    def get(self, request):
        self.params.search()
        region = operator_param(self.params, "search[operator_id]", required=False)
        page = self.params.page()
        queryset = published_of_active(UsefulContact.objects.all())
        if region is not None:
            queryset = queryset.filter(region=region)
        rows = page.slice(
            queryset.order_by("region_id", "position", "pk").values(
                "pk", "region_id", "municipality_id", "name", "phone", "email", "address"
            )
        )
        data = [
            {
                "id": row["pk"],
                "operator_id": row["region_id"],
                "municipality_id": row["municipality_id"],
                "name": or_none(row["name"]),
                "phone": or_none(row["phone"]),
                "email": or_none(row["email"]),
                "address": or_none(row["address"]),
            }
            for row in rows
        ]
        return ok(data)


# The path parameters keep the original's names (operatorId, municipalityId), so this API's
# own description reads as the original's.
routes = [
    path("main-page/regions", RegionsView.as_view(), name="compat-regions"),
    path("operator/regions", OperatorRegionsView.as_view(), name="compat-operator-regions"),
    path(
        "main-page/operator-info/<str:operatorId>",
        OperatorInfoView.as_view(),
        name="compat-operator-info",
    ),
    path(
        "main-page/muns/<str:operatorId>",
        OperatorMunicipalitiesView.as_view(),
        name="compat-operator-municipalities",
    ),
    path(
        "main-page/info-mun/<str:municipalityId>",
        MunicipalityInfoView.as_view(),
        name="compat-municipality-info",
    ),
    path(
        "main-page/certificate-ways/<str:operatorId>",
        CertificateWaysView.as_view(),
        name="compat-certificate-ways",
    ),
    path("main-page-settings", MainPageSettingsView.as_view(), name="compat-main-page-settings"),
    path(
        "public/municipalities",
        PublicMunicipalitiesView.as_view(),
        name="compat-public-municipalities",
    ),
    path(
        "public/municipality-useful-contact",
        UsefulContactsView.as_view(),
        name="compat-useful-contacts",
    ),
]
