"""The reports as JSON: one read-only endpoint per dashboard section, the same tables the
pages draw, scoped by the same rule (an operator their municipality, a regional
administrator their region's)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from pfdo.common import clock
from pfdo.common.api.permissions import RulesPermission
from pfdo.common.authz import authorize
from pfdo.common.errors import NotFound, ValidationFailed
from pfdo.reports import sections
from pfdo.reports.api.serializers import RegionReportSerializer, ReportSerializer
from pfdo.reports.forms import ReportFilterForm
from pfdo.reports.selectors import region as region_selectors
from pfdo.reports.selectors.scope import Filters, municipalities_for, regions_for
from pfdo.territory.models import Municipality, Region, code_validator

FILTER_PARAMETERS = [
    OpenApiParameter(
        "municipality",
        OpenApiTypes.STR,
        description=(
            "Код муниципалитета. Можно не указывать, если пользователю доступен один "
            "муниципалитет (оператор); иначе обязателен."
        ),
    ),
    OpenApiParameter("period", OpenApiTypes.INT, description="id периода; по умолчанию текущий."),
    OpenApiParameter("month", OpenApiTypes.STR, description="ГГГГ-ММ внутри периода."),
    OpenApiParameter("direction", OpenApiTypes.STR, description="Направленность программ."),
    OpenApiParameter("provider", OpenApiTypes.INT, description="id поставщика муниципалитета."),
]


CODE_MAX_LENGTH = Municipality._meta.get_field("code").max_length


def resolve_municipality(user, code: str | None) -> Municipality:
    """The municipality a report is about: the one named, if the user may read it (404
    otherwise, the same as for one that does not exist), or the user's only one."""
    if code:
        # A code is short latin letters, digits and hyphens; anything else names no
        # municipality (and a NUL byte must not reach PostgreSQL: a 500, found by fuzzing).
        if len(code) > CODE_MAX_LENGTH or not code_validator.regex.match(code):
            raise NotFound("Муниципалитет не найден.")
        municipality = Municipality.objects.select_related("region").filter(code=code).first()
        if municipality is None:
            raise NotFound("Муниципалитет не найден.")
        return authorize(user, "reports.view_municipality", municipality, hide=True)
    scope = list(municipalities_for(user)[:2])
    if len(scope) != 1:
        raise ValidationFailed(fields={"municipality": "Укажите код муниципалитета."})
    return scope[0]


def filters_from(request) -> Filters:
    municipality = resolve_municipality(request.user, request.query_params.get("municipality"))
    form = ReportFilterForm(request.query_params, municipality=municipality)
    return form.filters()


def answer(section, filters: Filters, tables) -> dict:
    return {
        "section": section.key,
        "title": section.title,
        "filters": {
            "municipality": filters.municipality.code,
            "period": filters.period.pk,
            "period_name": filters.period.name,
            "month": f"{filters.month:%Y-%m}" if filters.month else None,
            "direction": filters.direction,
            "provider": filters.provider.pk if filters.provider is not None else None,
        },
        "tables": [table.as_json() for table in tables],
    }


class SectionReportView(APIView):
    permission_classes = [RulesPermission]
    permission_map = {"get": "reports.view_reports"}
    section_key = ""

    def get(self, request):
        section = sections.get_for_api(self.section_key)
        filters = filters_from(request)
        return Response(answer(section, filters, section.build(filters)))


def section_view(section) -> type[APIView]:
    """An endpoint class of its own per section, so the schema names each operation. Each
    class gets its own `get` function: `extend_schema` marks the function it decorates, and a
    shared inherited one would carry the last section's operation id for all of them."""

    def get(self, request):
        return SectionReportView.get(self, request)

    get = extend_schema(
        operation_id=f"reports_{section.key}",
        summary=f"Показатели: {section.title.lower()}",
        description=(
            "Таблицы раздела панели показателей муниципалитета — те же, что на странице и в "
            "XLSX. Деньги в копейках, доли в процентах."
        ),
        parameters=FILTER_PARAMETERS,
        responses={200: ReportSerializer},
        tags=["reports"],
    )(get)
    return type(
        f"{section.key.title().replace('_', '')}ReportView",
        (SectionReportView,),
        {"section_key": section.key, "get": get},
    )


class RegionReportView(APIView):
    """GET /api/v1/reports/region/: the regional view as JSON."""

    permission_classes = [RulesPermission]
    permission_map = {"get": "reports.view_reports"}

    @extend_schema(
        operation_id="reports_region",
        summary="Показатели региона: муниципалитеты рядом",
        description=(
            "Каждый муниципалитет региона: действующие сертификаты, охват против цели 25 %, "
            "действующие договоры, деньги текущего периода (копейки) и прогноз бюджета; доля "
            "муниципалитетов, где работают сертификаты, против цели 50 %. Региональный "
            "администратор — свой регион; суперпользователь указывает `region`."
        ),
        parameters=[
            OpenApiParameter(
                "region",
                OpenApiTypes.STR,
                description="Код региона; можно не указывать, если доступен один регион.",
            )
        ],
        responses={200: RegionReportSerializer},
        tags=["reports"],
    )
    def get(self, request):
        code = request.query_params.get("region")
        if code:
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise NotFound("Регион не найден.")
            authorize(request.user, "reports.view_region", region, hide=True)
        else:
            scope = list(regions_for(request.user).order_by("name")[:2])
            if not scope:
                raise NotFound("Нет региона, показатели которого вам доступны.")
            if len(scope) > 1:
                raise ValidationFailed(fields={"region": "Укажите код региона."})
            region = scope[0]
        on = clock.today()
        tables, _ = region_selectors.tables(region, on)
        return Response(
            {
                "region": region.code,
                "on": on.isoformat(),
                "tables": [table.as_json() for table in tables],
            }
        )
