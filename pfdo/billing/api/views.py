"""API of billing: the journal (lessons, attendance), advance requests, invoices, payments,
the month run and the reconciliation. Reads are scoped by `for_user` (another provider's or
municipality's object answers 404); each write is one service call, whose domain errors
become the error body."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pfdo.billing import selectors, services
from pfdo.billing.api.serializers import (
    AdvanceLineSerializer,
    AdvanceRequestSerializer,
    AttendanceMarkResultSerializer,
    AttendanceMarkSerializer,
    AttendanceSerializer,
    ClosePeriodSerializer,
    DocumentBuildSerializer,
    DocumentRejectSerializer,
    InvoiceLineSerializer,
    InvoiceSerializer,
    LessonCancelSerializer,
    LessonGenerateSerializer,
    LessonMoveSerializer,
    LessonSerializer,
    MunicipalityMonthSerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
    PeriodClosingSerializer,
    ReconciliationQuerySerializer,
    ReconciliationSerializer,
)
from pfdo.billing.filters import (
    AdvanceRequestFilter,
    AttendanceFilter,
    InvoiceFilter,
    LessonFilter,
    PaymentFilter,
)
from pfdo.billing.models import AdvanceLine, AdvanceRequest, Attendance, Invoice, Lesson, Payment
from pfdo.common.api.permissions import RulesPermission
from pfdo.common.api.viewsets import ScopedModelViewSet
from pfdo.common.authz import authorize
from pfdo.common.errors import Conflict, NotFound
from pfdo.financing.models import FinancingPeriod
from pfdo.jobs.api.responses import LOCATION, accepted
from pfdo.jobs.api.serializers import JobSerializer

STAFF = "Сотрудник поставщика группы; чужое занятие — 404."
DOCUMENT_READERS = (
    "Сотрудник поставщика видит документы своего поставщика, оператор и плательщик — своего "
    "муниципалитета, администратор региона — региона; чужой документ — 404."
)
PROVIDER_STEP = "Сотрудник поставщика документа; чужой документ — 404."
PAYER_STEP = (
    "Плательщик (уполномоченная организация) муниципалитета документа; чужой документ — 404."
)
MONTH_OPEN = "Счёт этого месяца уже подан — 409 month_invoiced."

# The permissions (billing/rules.py) the API asks, as the pages and the services do.
KEEP_JOURNAL = "billing.keep_journal"
VIEW_ATTENDANCE = "billing.view_attendance"
VIEW_DOCUMENTS = "billing.view_documents"
BUILD_DOCUMENT = "billing.build_document"
SUBMIT_DOCUMENT = "billing.submit_document"
DECIDE = "billing.decide"
RECONCILE = "billing.reconcile"
CLOSE = "billing.close_period"


# ------------------------------------------------------------------------------- lessons


@extend_schema_view(
    list=extend_schema(
        summary="Занятия групп",
        description=(
            "Сотрудник поставщика: занятия групп своего поставщика, сохранённые в журнале "
            "(GET ничего не создаёт — занятия месяца по расписанию создаёт `generate`). "
            "Фильтры: `group`, `month` (ГГГГ-ММ), `status`."
        ),
    ),
    retrieve=extend_schema(summary="Занятие", description=STAFF),
)
class LessonViewSet(ScopedModelViewSet):
    model = Lesson
    serializer_class = LessonSerializer
    filterset_class = LessonFilter
    permission_map = {
        "list": KEEP_JOURNAL,
        "retrieve": KEEP_JOURNAL,
        "generate": KEEP_JOURNAL,
        "cancel": KEEP_JOURNAL,
        "restore": KEEP_JOURNAL,
        "move": KEEP_JOURNAL,
    }

    def scope_queryset(self, queryset):
        return queryset.select_related("group__module__program").order_by(
            "held_on", "starts_at", "pk"
        )

    def _read(self, lesson):
        fresh = self.scope_queryset(Lesson.objects.filter(pk=lesson.pk)).get()
        return Response(self.get_serializer(fresh).data)

    @extend_schema(
        request=LessonGenerateSerializer,
        responses={200: LessonSerializer(many=True)},
        summary="Занятия месяца по расписанию группы",
        description=(
            "Сотрудник поставщика группы. Создаёт по расписанию недостающие занятия месяца "
            "(повтор ничего не дублирует; отменённые и перенесённые остаются как есть) и "
            "возвращает все занятия месяца. Группа другого поставщика — 403."
        ),
        filters=False,
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def generate(self, request):
        data = LessonGenerateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        group = data.validated_data["group"]
        authorize(
            request.user,
            KEEP_JOURNAL,
            group,
            message=f"Вести журнал группы может только сотрудник поставщика "
            f"«{group.module.program.provider.short_name}».",
        )
        lessons = services.ensure_lessons(group=group, month=data.validated_data["month"])
        fresh = self.scope_queryset(Lesson.objects.filter(pk__in=[x.pk for x in lessons]))
        return Response(self.get_serializer(fresh, many=True).data)

    @extend_schema(
        request=LessonCancelSerializer,
        responses={200: LessonSerializer},
        summary="Отменить занятие",
        description=(
            f"{STAFF} Отметки «не был» снимаются; если кто-то отмечен присутствующим — 409 "
            f"lesson_attended. {MONTH_OPEN}"
        ),
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        lesson = self.get_object()
        data = LessonCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = services.cancel_lesson(
            actor=request.user, lesson=lesson, reason=data.validated_data.get("reason", "")
        )
        return self._read(lesson)

    @extend_schema(
        request=None,
        responses={200: LessonSerializer},
        summary="Вернуть отменённое занятие",
        description=f"{STAFF} {MONTH_OPEN}",
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def restore(self, request, pk=None):
        lesson = services.restore_lesson(actor=request.user, lesson=self.get_object())
        return self._read(lesson)

    @extend_schema(
        request=LessonMoveSerializer,
        responses={200: LessonSerializer},
        summary="Перенести занятие",
        description=(
            f"{STAFF} Окончание позже начала (иначе 400 с полем ends_at); новая дата — в сроках "
            "группы (иначе 409 outside_group_dates с полем held_on). Занятие с отметками в "
            "другой месяц не переносится — 409 lesson_attended. "
            f"{MONTH_OPEN}"
        ),
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def move(self, request, pk=None):
        lesson = self.get_object()
        data = LessonMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = services.move_lesson(actor=request.user, lesson=lesson, **data.validated_data)
        return self._read(lesson)


# ---------------------------------------------------------------------------- attendance


@extend_schema_view(
    list=extend_schema(
        summary="Посещаемость",
        description=(
            "Отметки по занятиям: сотрудник поставщика — своих групп, оператор и плательщик — "
            "муниципалитета, администратор региона — региона, родитель — своих детей. "
            "Фильтры: `lesson`, `group`, `month` (ГГГГ-ММ), `contract`."
        ),
    ),
    retrieve=extend_schema(summary="Отметка посещаемости"),
    create=extend_schema(
        request=AttendanceMarkSerializer,
        responses={200: AttendanceMarkResultSerializer},
        summary="Отметить посещаемость занятия",
        description=(
            "Сотрудник поставщика группы: `marks` — был ли на занятии ребёнок каждого договора. "
            "Всё или ничего: ребёнок не из группы на дату занятия — 400 child_not_in_group "
            "(поле marks); занятие ещё не прошло — 409 future_lesson; отменено — 409 "
            f"lesson_cancelled. {MONTH_OPEN} Чужое или неизвестное занятие — 400 с полем lesson."
        ),
    ),
)
class AttendanceViewSet(ScopedModelViewSet):
    model = Attendance
    serializer_class = AttendanceSerializer
    filterset_class = AttendanceFilter
    permission_map = {
        "list": VIEW_ATTENDANCE,
        "retrieve": VIEW_ATTENDANCE,
        "create": KEEP_JOURNAL,
    }

    def scope_queryset(self, queryset):
        return queryset.select_related(
            "lesson__group__module__program", "contract__child"
        ).order_by("lesson__held_on", "lesson__starts_at", "lesson_id", "contract_id", "pk")

    def create(self, request):
        data = AttendanceMarkSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        lesson = data.validated_data["lesson"]
        marks = {m["contract"]: m["present"] for m in data.validated_data["marks"]}
        changed = services.mark_attendance(actor=request.user, lesson=lesson, marks=marks)
        rows = self.get_queryset().filter(lesson=lesson, contract_id__in=list(marks))
        body = {"lesson": lesson.pk, "changed": changed, "marks": rows}
        return Response(
            AttendanceMarkResultSerializer(body, context=self.get_serializer_context()).data
        )


# ----------------------------------------------------------------------------- documents


def _document_queryset(queryset):
    return queryset.select_related("provider", "municipality", "period").order_by(
        "-month", "provider__short_name", "pk"
    )


def _document_actions(serializer, line_serializer, **texts):
    """The OpenAPI operations of a document's actions; `texts` gives each action its
    (summary, description)."""
    shapes = {
        "create": {"request": DocumentBuildSerializer, "responses": {201: serializer}},
        "submit": {"request": None, "responses": {200: serializer}},
        "accept": {"request": None, "responses": {200: serializer}},
        "reject": {"request": DocumentRejectSerializer, "responses": {200: serializer}},
        "lines": {"responses": {200: line_serializer(many=True)}},
    }
    return {
        name: extend_schema(summary=summary, description=description, filters=False, **shapes[name])
        for name, (summary, description) in texts.items()
    }


# An advance request or an invoice: build, submit, accept, reject, its lines. Each step is
# the kind's entry in `services.ADVANCE` / `services.INVOICE`. No docstring: the schema takes
# an operation's missing description from the view's (inherited) one.
class _DocumentViewSet(ScopedModelViewSet):
    kind: services.DocumentKind
    line_serializer = None
    permission_map = {
        "list": VIEW_DOCUMENTS,
        "retrieve": VIEW_DOCUMENTS,
        "lines": VIEW_DOCUMENTS,
        "create": BUILD_DOCUMENT,
        "submit": SUBMIT_DOCUMENT,
        "accept": DECIDE,
        "reject": DECIDE,
    }

    def scope_queryset(self, queryset):
        return _document_queryset(queryset)

    def _read(self, document, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=document.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request):
        data = DocumentBuildSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        document = self.kind.build(
            actor=request.user,
            provider=data.validated_data["provider"],
            month=data.validated_data["month"],
        )
        return self._read(document, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], filterset_class=None)
    def submit(self, request, pk=None):
        return self._read(self.kind.submit(request.user, self.get_object()))

    @action(detail=True, methods=["post"], filterset_class=None)
    def accept(self, request, pk=None):
        return self._read(self.kind.accept(request.user, self.get_object()))

    @action(detail=True, methods=["post"], filterset_class=None)
    def reject(self, request, pk=None):
        document = self.get_object()
        data = DocumentRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data.get("reason", "")
        return self._read(self.kind.reject(request.user, document, reason))

    @action(detail=True, methods=["get"], filterset_class=None)
    def lines(self, request, pk=None):
        document = self.get_object()
        rows = document.lines.all().select_related("contract__child").order_by("contract_id", "pk")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.line_serializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Заявки на аванс",
        description=f"{DOCUMENT_READERS} Фильтры: `provider`, `month` (ГГГГ-ММ), `status`.",
    ),
    retrieve=extend_schema(summary="Заявка на аванс со строками по договорам"),
    **_document_actions(
        AdvanceRequestSerializer,
        AdvanceLineSerializer,
        create=(
            "Сформировать заявку на аванс",
            "Сотрудник поставщика (за своего поставщика) или плательщик: доля аванса × суммы "
            "месяца по действующим договорам. Черновик или отклонённая заявка формируются "
            "заново. За другого поставщика — 403; раньше установленного дня месяца — 409 "
            "advance_too_early; месяц закончился — 409 month_over; счёт уже есть — 409 "
            "invoice_exists; заявка уже подана — 409 advance_exists.",
        ),
        submit=(
            "Подать заявку на аванс плательщику",
            f"{PROVIDER_STEP} Только черновик; иначе 409 not_draft.",
        ),
        accept=(
            "Принять заявку на аванс",
            f"{PAYER_STEP} Только поданную; повторно — 409 already_accepted, иначе 409 "
            "not_submitted.",
        ),
        reject=(
            "Отклонить заявку на аванс",
            f"{PAYER_STEP} Причина обязательна (400 с полем reason).",
        ),
        lines=("Строки заявки на аванс", "Суммы месяца по каждому договору, постранично."),
    ),
)
class AdvanceRequestViewSet(_DocumentViewSet):
    model = AdvanceRequest
    serializer_class = AdvanceRequestSerializer
    filterset_class = AdvanceRequestFilter
    kind = services.ADVANCE
    line_serializer = AdvanceLineSerializer

    def scope_queryset(self, queryset):
        queryset = super().scope_queryset(queryset)
        if self._with_lines():
            lines = AdvanceLine.objects.select_related("contract__child").order_by("contract_id")
            queryset = queryset.prefetch_related(Prefetch("lines", queryset=lines))
        return queryset

    def _with_lines(self) -> bool:
        return self.action in ("retrieve", "create")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_lines": self._with_lines()}


@extend_schema_view(
    list=extend_schema(
        summary="Счета",
        description=f"{DOCUMENT_READERS} Фильтры: `provider`, `month` (ГГГГ-ММ), `status`.",
    ),
    retrieve=extend_schema(
        summary="Счёт", description="Строки по договорам — в `/invoices/{id}/lines/`."
    ),
    **_document_actions(
        InvoiceSerializer,
        InvoiceLineSerializer,
        create=(
            "Сформировать счёт за месяц",
            "Сотрудник поставщика (за своего поставщика) или плательщик: строки по договорам "
            "по настройкам периода, за вычетом аванса и переплаты. Черновик или отклонённый "
            "счёт формируются заново. За другого поставщика — 403; месяц ещё не закончился — "
            "409 month_not_ended; заявка на аванс ждёт решения — 409 advance_undecided; счёт "
            "уже подан — 409 invoice_exists. Когда счёт месяца принят, а договоры, вступившие "
            "позже, держат резерв месяца, формируется дополнительный счёт (kind=supplementary, "
            "sequence ≥ 1) без аванса; если таких договоров нет — 409 invoice_exists.",
        ),
        submit=(
            "Подать счёт плательщику",
            f"{PROVIDER_STEP} Только черновик; иначе 409 not_draft. Журнал месяца после подачи "
            "не меняется.",
        ),
        accept=(
            "Принять счёт",
            f"{PAYER_STEP} Суммы строк списываются с резервов сертификатов на счёт поставщика, "
            "аванс и переплата зачитываются. Повторно — 409 already_accepted; не подан — 409 "
            "not_submitted.",
        ),
        reject=("Отклонить счёт", f"{PAYER_STEP} Причина обязательна (400 с полем reason)."),
        lines=(
            "Строки счёта",
            "По строке на договор: период действия в месяце, сумма по договору, к "
            "оплате и как она посчитана; постранично.",
        ),
    ),
)
class InvoiceViewSet(_DocumentViewSet):
    model = Invoice
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    kind = services.INVOICE
    line_serializer = InvoiceLineSerializer
    permission_map = {**_DocumentViewSet.permission_map, "correction": BUILD_DOCUMENT}

    @extend_schema(
        request=DocumentBuildSerializer,
        responses={201: InvoiceSerializer},
        filters=False,
        summary="Сформировать корректировку месяца",
        description=(
            "Месяц, счёт за который выставлен до его окончания (декабрь в декабре), "
            "пересчитывается после его окончания: пропорционально дням, расторжения, "
            "фактическая посещаемость. Корректировка (kind=correction) возвращает разницу на "
            "сертификаты и зачитывается в следующем счёте поставщика как переплата. Месяц не "
            "закончился — 409 month_not_ended; счёт месяца не принят — 409 "
            "invoice_not_accepted; корректировка ждёт решения — 409 correction_submitted; "
            "пересчитывать нечего — 409 nothing_to_correct."
        ),
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def correction(self, request):
        data = DocumentBuildSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        document = services.build_correction(
            actor=request.user,
            provider=data.validated_data["provider"],
            month=data.validated_data["month"],
        )
        return self._read(document, status.HTTP_201_CREATED)


# ------------------------------------------------------------------------------ payments


@extend_schema_view(
    list=extend_schema(
        summary="Платежи",
        description=(
            f"{DOCUMENT_READERS} Фильтры: `provider`, `month` (месяц оплаченного документа), "
            "`paid_from`, `paid_to`, `invoice`, `advance_request`."
        ),
    ),
    retrieve=extend_schema(summary="Платёж"),
    create=extend_schema(
        request=PaymentCreateSerializer,
        responses={201: PaymentSerializer},
        summary="Записать платёж",
        description=(
            "Плательщик муниципалитета: платёжное поручение по принятой заявке на аванс "
            "(`advance_request`) или счёту (`invoice`) — одно из двух. Больше задолженности — "
            "400 overpayment (поле amount_kopecks); документ не принят — 409 not_accepted; "
            "то же поручение с той же датой уже записано — 409 duplicate_order. Чужой или неизвестный "
            "документ — 400 с полем документа."
        ),
    ),
)
class PaymentViewSet(ScopedModelViewSet):
    model = Payment
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    permission_map = {"list": VIEW_DOCUMENTS, "retrieve": VIEW_DOCUMENTS, "create": DECIDE}

    def scope_queryset(self, queryset):
        return queryset.select_related("provider", "advance", "invoice").order_by("-paid_on", "-pk")

    def create(self, request):
        data = PaymentCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        payment = services.record_payment(
            actor=request.user,
            document=values["document"],
            order_number=values["order_number"],
            paid_on=values["paid_on"],
            amount_kopecks=values["amount_kopecks"],
        )
        fresh = self.get_queryset().get(pk=payment.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


# ------------------------------------------------------------ the month run, reconciliation


JOB_STARTED = (
    " Работа идёт в фоне: ответ — 202 с заданием (как GET /api/v1/jobs/{id}/, адрес — в "
    "заголовке Location); итог — в его `result.data` после status=done. Повторный запуск, "
    "пока задание ждёт или идёт, возвращает то же задание."
)


class BillingViewSet(viewsets.GenericViewSet):
    """Municipality-wide operations: no objects of their own, so no list or detail."""

    permission_classes = [RulesPermission]
    permission_map = {"run": DECIDE, "reconciliation": RECONCILE, "close_period": CLOSE}
    filter_backends: list = []
    pagination_class = None
    # What each action reads (OPTIONS describes it; the action itself validates with it).
    serializers = {"close_period": ClosePeriodSerializer}

    def get_serializer_class(self):
        # OPTIONS ("metadata") describes the route's POST action.
        action_name = self.action
        if action_name in (None, "metadata"):
            action_name = getattr(self, "action_map", {}).get("post")
        return self.serializers.get(action_name, MunicipalityMonthSerializer)

    @extend_schema(
        request=MunicipalityMonthSerializer,
        responses={202: JobSerializer},
        parameters=[LOCATION],
        summary="Сформировать документы месяца по всем поставщикам (фоновое задание)",
        description=(
            "Плательщик муниципалитета. После окончания месяца (декабрь — в декабре, если так "
            "настроено) — счета, иначе — заявки на аванс. Уже сформированные документы не "
            "трогаются: повтор ничего не создаёт дважды. Отказы по отдельным поставщикам — в "
            "`result.data.refused`. Раньше дня подачи аванса — 409 advance_too_early; нет "
            "периода — 409 no_period; чужой муниципалитет — 403 (сразу, без задания)." + JOB_STARTED
        ),
    )
    @action(detail=False, methods=["post"])
    def run(self, request):
        data = MunicipalityMonthSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.start_month_run(
            actor=request.user,
            municipality=data.validated_data["municipality"],
            month=data.validated_data["month"],
        )
        return accepted(job)

    @extend_schema(
        request=ClosePeriodSerializer,
        responses={200: PeriodClosingSerializer, 202: JobSerializer},
        parameters=[LOCATION],
        summary="Закрыть период финансирования (фоновое задание)",
        description=(
            "Оператор муниципалитета, после последнего дня периода. Неиспользованный остаток "
            "сгорает; договоры, группа которых занимается дальше, продолжаются за счёт "
            "номинала следующего периода (если доплата семьи растёт — только с её согласия, "
            "`continuations_offered`), остальные завершаются. Отказы — 409 с кодом: "
            "period_not_ended (период не окончен), period_draft, next_period_not_approved "
            "(договоры продолжаются после границы, а следующий период не утверждён — утвердите "
            "его), reservations_unbilled. Уже закрытый период — 200 с итогом закрытия (повтор "
            "ничего не меняет). Чужой муниципалитет — 403, неизвестный период — 404." + JOB_STARTED
        ),
    )
    @action(detail=False, methods=["post"], url_path="close-period")
    def close_period(self, request):
        data = ClosePeriodSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        period = FinancingPeriod.objects.filter(pk=data.validated_data["period"]).first()
        if (
            period is None
            or not FinancingPeriod.objects.for_user(request.user).filter(pk=period.pk).exists()
        ):
            raise NotFound("Период не найден.")
        try:
            job = services.start_period_close(actor=request.user, period=period)
        except Conflict as exc:
            closing = selectors.finished_closing(period)
            if exc.code != services.ALREADY_CLOSED or closing is None:
                raise
            closing.continuations_offered = services.continuations_offered(closing)
            return Response(PeriodClosingSerializer(closing).data)
        return accepted(job)

    @extend_schema(
        parameters=[ReconciliationQuerySerializer],
        responses={200: ReconciliationSerializer},
        summary="Сверка месяца по муниципалитету",
        description=(
            "Оператор, плательщик муниципалитета, администратор региона. По принятым счетам "
            "месяца: списано с сертификатов = строки счетов = оплачено + к оплате (с учётом "
            "переплат), платежи = проводки учёта, и проверка всего учёта. Чужой "
            "муниципалитет — 403."
        ),
    )
    @action(detail=False, methods=["get"])
    def reconciliation(self, request):
        query = ReconciliationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        municipality = query.named_municipality()
        authorize(
            request.user,
            RECONCILE,
            municipality,
            message="Сверку видят оператор, плательщик и администратор региона.",
        )
        rec = selectors.reconciliation(municipality, query.validated_data["month"])
        body = ReconciliationSerializer.from_reconciliation(rec, municipality)
        return Response(ReconciliationSerializer(body).data)
