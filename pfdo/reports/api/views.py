"""The reports as JSON: one read-only endpoint per dashboard section, the same tables the
pages draw, scoped by the same rule (an operator their municipality, a regional
administrator their region's)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from pfdo.common import clock
from pfdo.common.api.permissions import RulesPermission
from pfdo.common.api.query import (
    CODE_SCHEMA,
    ID_SCHEMA,
    check_code,
    query_id,
    query_pattern,
    query_value,
)
from pfdo.common.authz import authorize
from pfdo.common.choices import Direction
from pfdo.common.errors import NotFound, ValidationFailed
from pfdo.common.months import MONTH_PATTERN, MONTH_SCHEMA
from pfdo.reports import sections
from pfdo.reports.api.serializers import RegionReportSerializer, ReportSerializer
from pfdo.reports.forms import ReportFilterForm
from pfdo.reports.selectors import region as region_selectors
from pfdo.reports.selectors.scope import Filters, municipalities_for, regions_for
from pfdo.territory.models import Municipality, Region

MONTH_MESSAGE = "Месяц в формате ГГГГ-ММ, например 2026-09."

FILTER_PARAMETERS = [
    OpenApiParameter(
        "municipality",
        CODE_SCHEMA,
        description=(
            "Код муниципалитета. Можно не указывать, если пользователю доступен один "
            "муниципалитет (оператор); если доступно несколько и код не указан — 404 с "
            "сообщением у поля municipality. Код, которого нет или который не виден "
            "пользователю, — 404."
        ),
    ),
    OpenApiParameter(
        "period",
        ID_SCHEMA,
        description="id периода муниципалитета; по умолчанию текущий. Чужой или несуществующий — 404.",
    ),
    OpenApiParameter(
        "month", MONTH_SCHEMA, description="ГГГГ-ММ внутри периода; вне периода — 404."
    ),
    OpenApiParameter(
        "direction",
        {"type": "string", "enum": list(Direction.values)},
        description="Направленность программ.",
    ),
    OpenApiParameter(
        "provider",
        ID_SCHEMA,
        description="id поставщика муниципалитета; чужой или несуществующий — 404.",
    ),
]


def resolve_municipality(user, code: str | None) -> Municipality:
    """The municipality a report is about: the one named, if the user may read it (404
    otherwise, the same as for one that does not exist), or the user's only one (404 when
    there are several: the report names no municipality it could be about)."""
    if code:
        check_code(code, "municipality")
        municipality = Municipality.objects.select_related("region").filter(code=code).first()
        if municipality is None:
            raise NotFound("Муниципалитет не найден.")
        return authorize(user, "reports.view_municipality", municipality, hide=True)
    scope = list(municipalities_for(user)[:2])
    if len(scope) != 1:
        raise NotFound(
            "Укажите код муниципалитета: отчёт не выбран.",
            fields={"municipality": "Укажите код муниципалитета."},
        )
    return scope[0]


def filters_from(request) -> Filters:
    """The report's filters. A value the schema refuses is a 400 (checked here first); a
    well-formed one that names no period, provider or month of the municipality's period is
    a 404 (the report asked for does not exist), with the form's message at the field."""
    params = request.query_params
    query_id(params, "period", "Период")
    query_id(params, "provider", "Поставщик")
    query_pattern(params, "month", MONTH_PATTERN, MONTH_MESSAGE, 7)
    direction = query_value(params, "direction")
    if direction is not None and direction not in Direction.values:
        raise ValidationFailed(fields={"direction": "Такой направленности нет."})
    municipality = resolve_municipality(request.user, query_value(params, "municipality"))
    form = ReportFilterForm(params, municipality=municipality)
    try:
        return form.filters()
    except ValidationFailed as exc:
        raise NotFound(exc.message, fields=exc.fields) from exc


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
                CODE_SCHEMA,
                description=(
                    "Код региона; можно не указывать, если доступен один регион (если "
                    "несколько или ни одного — 404). Региона нет или он не виден — 404."
                ),
            )
        ],
        responses={200: RegionReportSerializer},
        tags=["reports"],
    )
    def get(self, request):
        code = query_value(request.query_params, "region")
        if code:
            check_code(code, "region")
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise NotFound("Регион не найден.")
            authorize(request.user, "reports.view_region", region, hide=True)
        else:
            scope = list(regions_for(request.user).order_by("name")[:2])
            if not scope:
                raise NotFound("Нет региона, показатели которого вам доступны.")
            if len(scope) > 1:
                raise NotFound(
                    "Укажите код региона: отчёт не выбран.",
                    fields={"region": "Укажите код региона."},
                )
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
