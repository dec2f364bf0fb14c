"""The child population in the API: a scoped list and the XLSX import (checked at once, then
written by a background job)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiRequest, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser

from pfdo.common.api.query import CODE_SCHEMA, YEAR_SCHEMA, filter_by_code_and_year
from pfdo.common.api.viewsets import ScopedViewSetMixin
from pfdo.jobs.api.responses import LOCATION, accepted
from pfdo.jobs.api.serializers import JobSerializer
from pfdo.reports import imports
from pfdo.reports.api.serializers import PopulationImportSerializer, PopulationSerializer
from pfdo.reports.api.views import resolve_municipality
from pfdo.reports.models import ChildPopulation
from pfdo.reports.selectors.scope import editable_municipalities

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PopulationViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    model = ChildPopulation
    serializer_class = PopulationSerializer
    permission_map = {"list": "reports.view_reports", "import_file": "reports.view_reports"}

    def scope_queryset(self, queryset):
        queryset = queryset.select_related("municipality").order_by(
            "municipality__code", "year", "age"
        )
        if self.action != "list":
            return queryset
        # A municipality out of the caller's scope is an empty page too.
        return filter_by_code_and_year(
            queryset,
            self.request.query_params,
            code="municipality",
            code_lookup="municipality__code",
            year_lookup="year",
        )

    @extend_schema(
        operation_id="reports_population_list",
        summary="Численность детей по возрастам (оператор — свой муниципалитет, администратор "
        "региона — муниципалитеты региона)",
        parameters=[
            OpenApiParameter(
                "municipality",
                CODE_SCHEMA,
                description="Код муниципалитета; муниципалитета нет или он не виден — пустой список.",
            ),
            OpenApiParameter("year", YEAR_SCHEMA, description="Год."),
        ],
        tags=["reports"],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="reports_population_import",
        summary="Загрузить численность детей из XLSX (фоновое задание)",
        description=(
            "Файл проверяется сразу: ошибка в любой строке — 400 со списком, ничего не "
            "сохраняется. Проверенный файл записывается в фоне: ответ — 202 с заданием (как "
            "GET /api/v1/jobs/{id}/, адрес — в заголовке Location); итог (`result.data.changed` "
            "— сколько возрастов добавлено или изменено) — после status=done. Тот же файл, "
            "пока его задание ждёт или идёт, — то же задание."
        ),
        # The part's type is stated; its name (.xlsx) and content (a table of these columns)
        # are read, not described: a schema cannot say them (docs/decisions.md).
        request={
            "multipart/form-data": OpenApiRequest(
                PopulationImportSerializer, encoding={"file": {"contentType": XLSX_TYPE}}
            )
        },
        responses={202: JobSerializer},
        parameters=[LOCATION],
        tags=["reports"],
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_file(self, request):
        data = PopulationImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        allowed = editable_municipalities(request.user)
        code = data.validated_data.get("municipality") or ""
        default = resolve_municipality(request.user, code) if code else None
        job = imports.start_import(
            actor=request.user,
            upload=data.validated_data["file"],
            municipalities=allowed,
            default=default,
        )
        return accepted(job)
