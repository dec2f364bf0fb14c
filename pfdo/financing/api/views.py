"""API of financing periods: public read of approved ones, writes by the municipality's officials."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from pfdo.common.api.query import CODE_SCHEMA, YEAR_SCHEMA, filter_by_code_and_year
from pfdo.common.api.viewsets import ScopedModelViewSet
from pfdo.financing import services
from pfdo.financing.api.serializers import (
    CalendarDaySerializer,
    CalendarDayWriteSerializer,
    FinancingPeriodCreateSerializer,
    FinancingPeriodSerializer,
    FinancingPeriodUpdateSerializer,
    NominalCategorySerializer,
    NominalCategoryWriteSerializer,
)
from pfdo.financing.filters import FinancingPeriodFilter
from pfdo.financing.models import CalendarDay, FinancingPeriod, NominalCategory

_CATEGORY_ID = OpenApiParameter(
    "category_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Id категории номинала"
)


@extend_schema_view(
    list=extend_schema(
        summary="Периоды финансирования",
        description=(
            "Без входа — утверждённые и закрытые периоды; официальные лица муниципалитета "
            "видят и черновики. Фильтры: `municipality` (код), `active_on` (дата), `status`."
        ),
    ),
    retrieve=extend_schema(summary="Период финансирования с номиналами"),
)
class FinancingPeriodViewSet(ScopedModelViewSet):
    """Financing periods (программы ПФ на период): money in kopecks, coefficients as strings."""

    model = FinancingPeriod
    serializer_class = FinancingPeriodSerializer
    filterset_class = FinancingPeriodFilter
    permission_map = {
        "list": None,
        "retrieve": None,
        "create": "financing.add_period",
        "partial_update": "financing.change_period",
        "approve": "financing.approve_period",
        "add_nominal_category": "financing.change_nominals",
        "nominal_category": "financing.change_nominals",
    }

    def scope_queryset(self, queryset):
        return (
            queryset.select_related("municipality")
            .prefetch_related("nominal_categories")
            .order_by("municipality__name", "-starts_on")
        )

    def _read(self, period, status_code=status.HTTP_200_OK) -> Response:
        fresh = self.scope_queryset(FinancingPeriod.objects.filter(pk=period.pk)).get()
        return Response(FinancingPeriodSerializer(fresh).data, status=status_code)

    @extend_schema(
        summary="Создать период (черновик)",
        description=(
            "Даты, пересекающие другой период муниципалитета, — 409 `period_overlap` "
            "с сообщением у `starts_on` и/или `ends_on`."
        ),
        request=FinancingPeriodCreateSerializer,
        responses={201: FinancingPeriodSerializer},
    )
    def create(self, request):
        data = FinancingPeriodCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        period = services.create_period(
            actor=request.user, municipality=values.pop("municipality"), **values
        )
        return self._read(period, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Изменить параметры периода",
        description=(
            "После первого договора (`is_locked`) поля, меняющие обещанные деньги "
            "(сроки, правила оплаты), отклоняются с сообщением у поля. Квоту и бюджет "
            "можно увеличить всегда (увеличение бюджета переводится в бюджет периода), "
            "уменьшить — только до уже принятых обязательств: квота не ниже занятых мест "
            "сертификатов финансирования в периоде, бюджет не ниже уже начисленного "
            "сертификатам. Иначе 409 `below_commitments` с сообщением у поля "
            "`certificate_quota` или `budget_kopecks`. Даты, пересекающие другой период "
            "муниципалитета, — 409 `period_overlap`; правка, после которой утверждённый "
            "период перестал бы быть обеспеченным и полным, — 409 `period_unsecured`."
        ),
        request=FinancingPeriodUpdateSerializer,
        responses={200: FinancingPeriodSerializer},
    )
    def partial_update(self, request, pk=None):
        period = self.get_object()
        data = FinancingPeriodUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        period = services.update_period(actor=request.user, period=period, **data.validated_data)
        return self._read(period)

    @extend_schema(
        summary="Утвердить период",
        description=(
            "Черновик → утверждён. Нужны: хотя бы одна категория номинала, базовые нормативы "
            "всех шести направлений, квота × наибольший номинал ≤ бюджета. Чего-то нет — "
            "409 `period_incomplete` с сообщениями у полей."
        ),
        request=None,
        responses={200: FinancingPeriodSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        period = services.approve_period(actor=request.user, period=self.get_object())
        return self._read(period)

    @extend_schema(
        summary="Добавить категорию номинала",
        description=(
            "Название, которое в периоде уже есть, или возраст, пересекающийся с другой "
            "категорией того же вида, — 409 `category_conflict`; утверждённый период, "
            "который номинал оставил бы без обеспечения, — 409 `period_unsecured`."
        ),
        request=NominalCategoryWriteSerializer,
        responses={201: NominalCategorySerializer},
    )
    @action(detail=True, methods=["post"], url_path="nominal-categories")
    def add_nominal_category(self, request, pk=None):
        period = self.get_object()
        data = NominalCategoryWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.add_nominal_category(
            actor=request.user, period=period, **data.validated_data
        )
        return Response(NominalCategorySerializer(category).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"],
        summary="Изменить категорию номинала",
        description=(
            "Как при добавлении: 409 `category_conflict` или `period_unsecured`. Одна граница "
            "возраста без другой сверяется с сохранённой: если верхняя тогда не больше "
            "нижней — 409 `category_conflict`."
        ),
        parameters=[_CATEGORY_ID],
        request=NominalCategoryWriteSerializer,
        responses={200: NominalCategorySerializer},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Удалить категорию номинала",
        description=(
            "Утверждённый период должен сохранить хотя бы одну категорию, обеспеченную "
            "бюджетом: иначе 409 `period_unsecured`."
        ),
        parameters=[_CATEGORY_ID],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"nominal-categories/(?P<category_id>[0-9]+)",
    )
    def nominal_category(self, request, pk=None, category_id=None):
        period = self.get_object()
        category = get_object_or_404(
            NominalCategory.objects.for_user(request.user), pk=category_id, period=period
        )
        if request.method == "DELETE":
            services.delete_nominal_category(actor=request.user, category=category)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = NominalCategoryWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        category = services.update_nominal_category(
            actor=request.user, category=category, **data.validated_data
        )
        return Response(NominalCategorySerializer(category).data)


# ------------------------------------------------------------------ production calendar


@extend_schema_view(
    list=extend_schema(
        summary="Исправления производственного календаря",
        description=(
            "Дни, которые регион объявил рабочими или выходными поверх общего календаря "
            "(праздники и переносы из постановлений Правительства известны системе сами). "
            "Читают все. Фильтры: `region` (код), `year`."
        ),
        parameters=[
            OpenApiParameter(
                "region", CODE_SCHEMA, description="Код региона; региона нет — пустой список."
            ),
            OpenApiParameter("year", YEAR_SCHEMA, description="Год"),
        ],
    ),
    retrieve=extend_schema(summary="Исправление производственного календаря"),
)
class CalendarDayViewSet(ScopedModelViewSet):
    """Overrides of the production calendar: kept by the region's administrator."""

    model = CalendarDay
    serializer_class = CalendarDaySerializer
    permission_map = {
        "list": None,
        "retrieve": None,
        "create": "financing.change_calendar",
        "destroy": "financing.change_calendar",
    }

    def scope_queryset(self, queryset):
        queryset = queryset.select_related("region").order_by("region__name", "day")
        return filter_by_code_and_year(
            queryset,
            self.request.query_params,
            code="region",
            code_lookup="region__code",
            year_lookup="day__year",
        )

    @extend_schema(
        summary="Внести исправление календаря",
        description=(
            "Только региональный администратор региона. Дата, на которую исправление уже "
            "внесено, — 409 `day_already_overridden` (сначала удалите прежнее); день, "
            "который и так такой по календарю, — 400 с сообщением у `is_working`."
        ),
        request=CalendarDayWriteSerializer,
        responses={201: CalendarDaySerializer},
    )
    def create(self, request):
        data = CalendarDayWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.add_calendar_day(actor=request.user, **data.validated_data)
        row = self.scope_queryset(CalendarDay.objects.filter(pk=row.pk)).get()
        return Response(CalendarDaySerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Удалить исправление календаря",
        description="День снова такой, как в общем календаре.",
        responses={204: None},
    )
    def destroy(self, request, pk=None):
        services.remove_calendar_day(actor=request.user, calendar_day=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
