"""API of children, certificate applications and certificates: scoped reads, the operator's
decisions and the parent's switch request (the look-up by number is enrolment's API). Each
write is one service call; domain errors become the error body."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from pfdo.accounts.models import User
from pfdo.audit import services as audit
from pfdo.certificates import selectors, services
from pfdo.certificates.api.serializers import (
    CertificateApplicationCreateSerializer,
    CertificateApplicationSerializer,
    CertificateApprovalSerializer,
    CertificateMovementSerializer,
    CertificateReasonSerializer,
    CertificateRequiredReasonSerializer,
    CertificateSerializer,
    ChildSerializer,
    ParentPasswordSerializer,
    ReissuePasswordSerializer,
    SwitchRequestSerializer,
    SwitchResultSerializer,
)
from pfdo.certificates.filters import CertificateApplicationFilter, CertificateFilter
from pfdo.certificates.models import Certificate, CertificateApplication, Child
from pfdo.common.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet
from pfdo.common.authz import can
from pfdo.common.errors import ValidationFailed
from pfdo.common.idempotency import mark_secret

OFFICIALS = "Оператор муниципалитета, администратор региона."


# ---------------------------------------------------------------------------- children


@extend_schema_view(
    list=extend_schema(
        summary="Дети",
        description="Родитель видит своих детей, оператор — детей своего муниципалитета, "
        "администратор региона — региона. Сотрудникам поставщиков и плательщику список пуст. "
        "СНИЛС и документ — только оператору в карточке ребёнка (просмотр записывается).",
    ),
    retrieve=extend_schema(
        summary="Карточка ребёнка",
        description="Просмотр карточки должностным лицом записывается в журнал доступа к "
        "персональным данным.",
    ),
)
class ChildViewSet(ScopedReadOnlyViewSet):
    """Children's cards; a child is added through a certificate application."""

    model = Child
    serializer_class = ChildSerializer
    permission_map = {"list": "certificates.view", "retrieve": "certificates.view"}

    def scope_queryset(self, queryset):
        return queryset.select_related("municipality").order_by(
            "last_name", "first_name", "patronymic", "birth_date", "pk"
        )

    def retrieve(self, request, *args, **kwargs):
        child = self.get_object()
        if can(request.user, "certificates.manage", child):
            audit.log_personal_data_access(
                actor=request.user,
                subject=child,
                purpose="view_child_card",
                municipality=child.municipality,
            )
        serializer = self.get_serializer(child)
        # Officials get the identifiers on the logged card read only, never in lists.
        serializer.context["card"] = True
        return Response(serializer.data)


# ------------------------------------------------------------------------ applications


@extend_schema_view(
    list=extend_schema(
        summary="Заявления на сертификат",
        description="Родитель видит свои, оператор — своего муниципалитета, администратор "
        "региона — региона. Фильтры: `status`, `municipality` (код).",
    ),
    retrieve=extend_schema(summary="Заявление на сертификат"),
)
class CertificateApplicationViewSet(ScopedModelViewSet):
    model = CertificateApplication
    serializer_class = CertificateApplicationSerializer
    filterset_class = CertificateApplicationFilter
    permission_map = {
        "list": "certificates.view",
        "retrieve": "certificates.view",
        "create": "certificates.apply",
        "verify": "certificates.manage",
        "approve": "certificates.manage",
        "reject": "certificates.manage",
        "reject_duplicate": "certificates.manage",
    }

    def scope_queryset(self, queryset):
        return queryset.select_related("child", "municipality", "parent", "certificate").order_by(
            "-created_at", "-pk"
        )

    def get_serializer(self, *args, **kwargs):
        # Duplicate counts for the rows the user decides on, one query per page.
        rows = args[0] if args else None
        context = kwargs.setdefault("context", self.get_serializer_context())
        if rows is not None:
            items = rows if kwargs.get("many") else [rows]
            mine = [a for a in items if can(self.request.user, "certificates.manage", a)]
            context["duplicate_flags"] = selectors.duplicate_flags(mine) if mine else {}
        return super().get_serializer(*args, **kwargs)

    def _read(self, application, status_code=status.HTTP_200_OK):
        fresh = self.scope_queryset(CertificateApplication.objects.filter(pk=application.pk)).get()
        return Response(self.get_serializer(fresh).data, status=status_code)

    def _resolve_parent(self, value: str) -> User:
        value = value.strip()
        match = Q(username__iexact=value)
        if value.isascii() and value.isdigit() and len(value) <= 18:
            match |= Q(pk=int(value))
        found = User.objects.for_user(self.request.user).filter(match).distinct()[:2]
        found = list(found)
        if len(found) != 1:
            raise ValidationFailed(
                fields={"parent": "Пользователь с таким id или логином не найден."}
            )
        return found[0]

    @extend_schema(
        request=CertificateApplicationCreateSerializer,
        responses={201: CertificateApplicationSerializer},
        summary="Подать заявление на сертификат",
        description=(
            "Родитель (`channel` = online) — на своего ребёнка из личного кабинета. Оператор "
            "(`channel` = in_person) — за семью: `parent` (id или логин существующего "
            "пользователя) или данные нового родителя (`parent_last_name`, "
            "`parent_first_name`, …): его кабинет создаётся без пароля, пароль выдаётся вместе "
            "с сертификатом. Ребёнок с тем же СНИЛС, у которого уже есть сертификат или "
            "заявление, — 409 с кодом duplicate_child, если заявление подаёт оператор или "
            "законный представитель этого ребёнка; любому другому родителю ответ тот же, что "
            "и на нового ребёнка: заявление принимается, оператор видит его отмеченным как "
            "дубликат (duplicate_reason), представители ребёнка получают письмо."
        ),
    )
    def create(self, request):
        data = CertificateApplicationCreateSerializer(
            data=request.data, context={"request": request}
        )
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["channel"] == CertificateApplication.Channel.ONLINE:
            # apply_online: apply_for_certificate serialised per municipality, so two
            # copies of one request cannot both pass the duplicate check.
            application = services.apply_online(
                actor=request.user,
                municipality=values["municipality"],
                child=data.child_fields(),
                relation=values["relation"],
                wants_financing=values["wants_financing"],
            )
        else:
            existing = values.get("parent")
            application = services.register_family(
                actor=request.user,
                municipality=values["municipality"],
                child=data.child_fields(),
                parent=self._resolve_parent(existing) if existing else None,
                new_parent=data.new_parent_fields(),
                relation=values["relation"],
                wants_financing=values["wants_financing"],
            ).application
        return self._read(application, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: CertificateApplicationSerializer},
        summary="Документы проверены",
        description=f"{OFFICIALS} Заявление «подано» → «проверено».",
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        application = services.verify_application(actor=request.user, application=self.get_object())
        return self._read(application)

    @extend_schema(
        request=None,
        responses={200: CertificateApprovalSerializer},
        summary="Одобрить и выдать сертификат",
        description=(
            f"{OFFICIALS} Выдаёт номер; тип — финансирования, пока позволяет квота периода, "
            "иначе учёта (причина в type_reason). Если у законного представителя ещё нет "
            "пароля, в ответе `login` и одноразовый `issued_password`: они показываются "
            "только один раз, в этом ответе, — передайте их родителю."
        ),
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        issued = services.approve_application(actor=request.user, application=self.get_object())
        application = self.scope_queryset(
            CertificateApplication.objects.filter(pk=issued.certificate.application_id)
        ).get()
        certificate = Certificate.objects.select_related("child", "municipality").get(
            pk=issued.certificate.pk
        )
        context = {
            **self.get_serializer_context(),
            "balances": selectors.current_balances([certificate]),
        }
        body = {
            "application": self.get_serializer(application).data,
            "certificate": CertificateSerializer(certificate, context=context).data,
            "login": issued.login if issued.password else None,
            "issued_password": issued.password,
        }
        return mark_secret(Response(body), "issued_password")

    @extend_schema(
        request=CertificateRequiredReasonSerializer,
        responses={200: CertificateApplicationSerializer},
        summary="Отказать",
        description=f"{OFFICIALS} Причина обязательна; родитель получит уведомление.",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        application = self.get_object()
        data = CertificateRequiredReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.reject_application(
            actor=request.user,
            application=application,
            reason=data.validated_data.get("reason", ""),
        )
        return self._read(application)

    @extend_schema(
        request=None,
        responses={200: CertificateApplicationSerializer},
        summary="Отклонить как дубликат",
        description=f"{OFFICIALS} Одним действием отклоняет заявление, отмеченное как "
        "дубликат (duplicate_reason не пуст), с нейтральной причиной, которую увидит "
        "заявитель. Заявление без отметки — 409 с кодом not_duplicate.",
    )
    @action(detail=True, methods=["post"], url_path="reject-duplicate")
    def reject_duplicate(self, request, pk=None):
        application = services.reject_duplicate(actor=request.user, application=self.get_object())
        return self._read(application)


# ------------------------------------------------------------------------ certificates


@extend_schema_view(
    list=extend_schema(
        summary="Сертификаты",
        description="Родитель видит сертификаты своих детей, оператор — муниципалитета, "
        "администратор региона — региона. Баланс — текущего периода, в копейках. Фильтры: "
        "`number`, `type`, `status`, `municipality` (код).",
    ),
    retrieve=extend_schema(summary="Сертификат с балансом текущего периода"),
)
class CertificateViewSet(ScopedModelViewSet):
    model = Certificate
    # Ids only, so /certificates/lookup/ (enrolment's API) is not taken for a certificate.
    lookup_value_regex = "[0-9]+"
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    permission_map = {
        "list": "certificates.view",
        "retrieve": "certificates.view",
        "movements": "certificates.view",
        "suspend": "certificates.manage",
        "reactivate": "certificates.manage",
        "cancel": "certificates.manage",
        "reissue_password": "certificates.manage",
        "request_switch": "certificates.request_switch",
    }

    def scope_queryset(self, queryset):
        return queryset.select_related("child", "municipality").order_by("-issued_at", "-pk")

    def get_serializer(self, *args, **kwargs):
        rows = args[0] if args else None
        context = kwargs.setdefault("context", self.get_serializer_context())
        if rows is not None and "balances" not in context:
            context["balances"] = selectors.current_balances(rows if kwargs.get("many") else [rows])
        return super().get_serializer(*args, **kwargs)

    def _read(self, certificate):
        fresh = self.get_queryset().get(pk=certificate.pk)
        return Response(self.get_serializer(fresh).data)

    def _status_change(self, request, service, serializer=CertificateRequiredReasonSerializer):
        certificate = self.get_object()
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        certificate = service(
            actor=request.user,
            certificate=certificate,
            reason=data.validated_data.get("reason", ""),
        )
        return self._read(certificate)

    @extend_schema(
        request=CertificateRequiredReasonSerializer,
        responses={200: CertificateSerializer},
        summary="Приостановить (причина обязательна)",
        description=f"{OFFICIALS} Только действующий сертификат; иначе 409.",
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def suspend(self, request, pk=None):
        return self._status_change(request, services.suspend_certificate)

    @extend_schema(
        request=CertificateReasonSerializer,
        responses={200: CertificateSerializer},
        summary="Возобновить приостановленный",
        description=f"{OFFICIALS} Комментарий по желанию.",
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reactivate(self, request, pk=None):
        return self._status_change(
            request, services.reactivate_certificate, CertificateReasonSerializer
        )

    @extend_schema(
        request=CertificateRequiredReasonSerializer,
        responses={200: CertificateSerializer},
        summary="Аннулировать (причина обязательна)",
        description=f"{OFFICIALS} Договоры сертификата расторгаются оператором сегодняшним "
        "днём (месяцы после текущего не оплачиваются), заявки и непринятые предложения "
        "закрываются, семья и поставщик получают уведомления; неизрасходованный остаток и "
        "освобождённый резерв возвращаются в бюджет периода; освободившееся место в квоте "
        "получает первый ожидающий запрос на перевод.",
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        return self._status_change(request, services.cancel_certificate)

    @extend_schema(
        request=None,
        responses={200: SwitchResultSerializer},
        summary="Запросить перевод в сертификат финансирования",
        description="Законный представитель ребёнка (или должностное лицо). При свободном "
        "месте в квоте перевод выполняется сразу, иначе запрос ждёт в очереди. Для "
        "сертификата финансирования — 409.",
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="request-switch", filterset_class=None)
    def request_switch(self, request, pk=None):
        switch = services.request_switch(actor=request.user, certificate=self.get_object())
        fresh = self.get_queryset().get(pk=switch.certificate_id)
        body = {
            "switch_request": SwitchRequestSerializer(switch).data,
            "certificate": self.get_serializer(fresh).data,
        }
        return Response(body)

    @extend_schema(
        request=ReissuePasswordSerializer,
        responses={200: ParentPasswordSerializer},
        summary="Выдать законному представителю новый пароль",
        description=f"{OFFICIALS} Новый одноразовый пароль показывается только в этом ответе.",
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="reissue-password", filterset_class=None)
    def reissue_password(self, request, pk=None):
        certificate = self.get_object()
        data = ReissuePasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parent = None
        if "parent" in data.validated_data:
            parent = certificate.child.guardians.filter(pk=data.validated_data["parent"]).first()
            if parent is None:
                raise ValidationFailed(
                    fields={"parent": "Такого законного представителя у ребёнка нет."}
                )
        issued = services.reissue_parent_password(
            actor=request.user, certificate=certificate, parent=parent
        )
        return mark_secret(
            Response({"login": issued.login, "issued_password": issued.password}),
            "issued_password",
        )

    @extend_schema(
        responses={200: CertificateMovementSerializer(many=True)},
        summary="Движение денег по сертификату",
        description="Все операции по сертификату во всех периодах, новые сверху.",
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def movements(self, request, pk=None):
        certificate = self.get_object()
        rows = selectors.statement(certificate)
        periods = selectors.periods_by_account(certificate)
        page = self.paginate_queryset(rows)
        serializer = CertificateMovementSerializer(
            page, many=True, context={"periods_by_account": periods}
        )
        return self.get_paginated_response(serializer.data)
