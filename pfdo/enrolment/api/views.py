"""API of enrolment: scoped reads of applications and contracts, the parent's application,
terms preview, confirmations and the offer, the provider's decisions and in-person enrolment,
termination. Each write is one service call; domain errors become the error body."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from pfdo.common.api.viewsets import ScopedModelViewSet
from pfdo.common.authz import can
from pfdo.common.errors import Conflict
from pfdo.enrolment import selectors, services
from pfdo.enrolment.api.serializers import (
    ApplicationCreateSerializer,
    ApplicationReasonSerializer,
    ConfirmCodeSerializer,
    ContractAcceptSerializer,
    ContractSerializer,
    ContractTerminateSerializer,
    EnrolmentApplicationSerializer,
    TermsQuerySerializer,
    TermsSerializer,
)
from pfdo.enrolment.filters import ApplicationFilter, ContractFilter
from pfdo.enrolment.models import Application, ContinuationOffer, Contract, ContractMonth

PARENT = "Законный представитель ребёнка."
STAFF = "Сотрудник поставщика, которому адресована заявка; чужая заявка — 404."
REFUSALS = (
    "Отказ по условиям записи — 409 с кодом причины (age_out_of_range, "
    "certificate_not_active, already_applied, enrolment_closed, schedule_clash, …); "
    "нет согласия на доплату — 409 с кодом copay_not_agreed и полем copay_agreed."
)


def _contracts(user):
    return (
        Contract.objects.for_user(user)
        .select_related(
            "child", "certificate", "group__module__program", "provider", "period", "application"
        )
        .prefetch_related(Prefetch("months", queryset=ContractMonth.objects.order_by("month")))
    )


# --------------------------------------------------------------------------- applications


@extend_schema_view(
    list=extend_schema(
        summary="Заявки на зачисление",
        description="Родитель видит заявки своих детей, сотрудник поставщика — заявки к своему "
        "поставщику, оператор и плательщик — своего муниципалитета, администратор региона — "
        "региона. Фильтры: `status`, `group`, `child`, `provider`, `program`.",
    ),
    retrieve=extend_schema(summary="Заявка на зачисление"),
)
class ApplicationViewSet(ScopedModelViewSet):
    model = Application
    serializer_class = EnrolmentApplicationSerializer
    filterset_class = ApplicationFilter
    permission_map = {
        "list": "enrolment.view",
        "retrieve": "enrolment.view",
        "terms": "enrolment.view",
        # Parent or provider staff: the channel's own permission is checked in `create`.
        "create": "enrolment.apply",
        "confirm": "enrolment.decide",
        "reject": "enrolment.decide",
        "confirm_code": "enrolment.decide",
        "cancel": "enrolment.accept",
        "confirm_parent": "enrolment.accept",
    }

    def scope_queryset(self, queryset):
        # Waitlist places in the same query as the rows (a subquery), so no N+1.
        return selectors.with_waitlist_position(
            queryset.select_related(
                "child", "certificate", "group__module__program", "provider", "contract"
            )
        ).order_by("-created_at", "-pk")

    def _read(self, application, status_code=status.HTTP_200_OK):
        fresh = self.scope_queryset(Application.objects.filter(pk=application.pk)).get()
        return Response(self.get_serializer(fresh).data, status=status_code)

    def _filed(self, application):
        """The answer to a filing from the rows the filing read and wrote, not read again:
        the child, certificate, group (its module and programme) and provider are the ones it
        used, a new application has no contract, and the service counted its waitlist place."""
        application.child = application.certificate.child
        Application.contract.related.set_cached_value(application, None)
        if application.status != Application.Status.WAITLISTED:
            application.waitlist_position = None
        body = self.get_serializer(application).data
        return Response(body, status=status.HTTP_201_CREATED)

    def _contract(self, contract):
        fresh = _contracts(self.request.user).get(pk=contract.pk)
        return Response(ContractSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        request=ApplicationCreateSerializer,
        responses={201: EnrolmentApplicationSerializer},
        summary="Подать заявку в группу",
        description=(
            "Родитель (`channel` = online): `certificate` (id или номер), `group`, "
            "`copay_agreed`. Свободное место закрепляется за ребёнком до решения поставщика; "
            "в полной группе заявка встаёт в лист ожидания (`waitlist_position`). "
            "Сотрудник поставщика (`channel` = in_person): `certificate_number`, `surname` "
            "(фамилия ребёнка), `group` — ребёнок пришёл лично; номер и фамилия должны совпасть "
            "(иначе 400, как для неизвестного номера; попытка — в лимитах поиска, сверх — 429); "
            "родитель подтверждает в кабинете или называет код. "
            f"{REFUSALS}"
        ),
    )
    def create(self, request):
        data = ApplicationCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        group = values["group"]
        if values["channel"] == Application.Channel.IN_PERSON:
            if not can(request.user, "enrolment.enrol_in_person", group):
                raise PermissionDenied()
            application = services.apply_in_person(
                actor=request.user,
                certificate_number=values["certificate_number"],
                surname=values["surname"],
                group=group,
            )
        else:
            if not can(request.user, "enrolment.accept", values["certificate"]):
                raise PermissionDenied()
            application = services.apply(
                actor=request.user,
                certificate=values["certificate"],
                group=group,
                copay_agreed=values["copay_agreed"],
            )
            return self._filed(application)
        return self._read(application, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[TermsQuerySerializer],
        responses={200: TermsSerializer},
        summary="Условия договора до подачи заявки",
        description=(
            f"{PARENT} Даты, месяцы, цена, нормативная стоимость, сколько оплатит сертификат, "
            "доплата семьи, остаток и помесячный график — как если бы договор заключили "
            "сегодня. Чужой сертификат — 404; нет действующего периода или группа уже "
            "закончилась — 409."
        ),
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def terms(self, request):
        query = TermsQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        certificate = query.validated_data["certificate"]
        group = query.validated_data["group"]
        terms = services.preview_terms(actor=request.user, certificate=certificate, group=group)
        body = TermsSerializer.from_terms(terms, certificate=certificate, group=group)
        return Response(TermsSerializer(body).data)

    @extend_schema(
        request=None,
        responses={200: ContractSerializer},
        summary="Подтвердить заявку (предложить договор)",
        description=f"{STAFF} Родителю предлагается договор; ответ — договор в статусе offered.",
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def confirm(self, request, pk=None):
        contract = services.confirm(actor=request.user, application=self.get_object())
        return self._contract(contract)

    @extend_schema(
        request=ApplicationReasonSerializer,
        responses={200: EnrolmentApplicationSerializer},
        summary="Отклонить заявку",
        description=f"{STAFF} Причина обязательна; место переходит следующему в листе ожидания.",
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reject(self, request, pk=None):
        application = self.get_object()
        data = ApplicationReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.reject(
            actor=request.user,
            application=application,
            reason=data.validated_data.get("reason", ""),
        )
        return self._read(application)

    @extend_schema(
        request=None,
        responses={200: EnrolmentApplicationSerializer},
        summary="Отозвать заявку",
        description=f"{PARENT} Только заявку без договора; место переходит следующему.",
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        application = services.cancel(actor=request.user, application=self.get_object())
        return self._read(application)

    @extend_schema(
        request=None,
        responses={200: ContractSerializer},
        summary="Подтвердить запись, сделанную у поставщика",
        description=f"{PARENT} Заявка «ждёт подтверждения родителя» → предложен договор.",
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="confirm-parent", filterset_class=None)
    def confirm_parent(self, request, pk=None):
        contract = services.confirm_by_parent(actor=request.user, application=self.get_object())
        return self._contract(contract)

    @extend_schema(
        request=ConfirmCodeSerializer,
        responses={200: ContractSerializer},
        summary="Подтвердить запись кодом родителя",
        description=(
            f"{STAFF} Родитель называет код из уведомления: договор предлагается и сразу "
            "принимается (сумма сертификата резервируется). Неверный код — 400 с полем code "
            "(и сколько попыток осталось; `code_attempts_left` заявки). После "
            "`PFDO_CONFIRM_CODE_ATTEMPTS` неверных кодов по заявке (или "
            "`PFDO_CONFIRM_CODE_CERTIFICATE_ATTEMPTS` по всем заявкам сертификата за сутки) код "
            "аннулируется: 409 с кодом confirmation_code_void, даже верный код больше не "
            "принимается — родитель подтверждает запись в личном кабинете. Заявка не ждёт "
            "родителя — 409. Слишком много попыток сотрудника (лимит confirm_code_staff) — 429 "
            "с Retry-After. Каждая неудача записывается в журнал действий, семья получает "
            "уведомление при первой неудаче и при аннулировании кода."
        ),
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="confirm-code", filterset_class=None)
    def confirm_code(self, request, pk=None):
        application = self.get_object()
        data = ConfirmCodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.confirm_with_code(
            actor=request.user, application=application, code=data.validated_data["code"]
        )
        return self._contract(contract)


# ------------------------------------------------------------------------------ contracts


@extend_schema_view(
    list=extend_schema(
        summary="Договоры",
        description="Родитель видит договоры своих детей, сотрудник поставщика — своего "
        "поставщика, оператор и плательщик — муниципалитета, администратор региона — региона. "
        "Деньги — в копейках, с помесячным графиком. Фильтры: `status`, `provider`, `group`, "
        "`period`, `child`, `program`, `date_from`/`date_to` (действует в какой-то день "
        "диапазона), `surname` (начало фамилии ребёнка).",
    ),
    retrieve=extend_schema(summary="Договор с помесячным графиком"),
)
class ContractViewSet(ScopedModelViewSet):
    model = Contract
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    permission_map = {
        "list": "enrolment.view",
        "retrieve": "enrolment.view",
        "accept": "enrolment.accept",
        "decline": "enrolment.accept",
        "terminate": "enrolment.terminate",
        "accept_continuation": "enrolment.accept",
        "decline_continuation": "enrolment.accept",
    }

    def scope_queryset(self, queryset):
        return (
            queryset.select_related(
                "child",
                "certificate",
                "group__module__program",
                "provider",
                "period",
                "application",
            )
            .prefetch_related(
                Prefetch("months", queryset=ContractMonth.objects.order_by("month")),
                Prefetch(
                    "continuations",
                    queryset=ContinuationOffer.objects.select_related("period").order_by("pk"),
                ),
            )
            .order_by("-offered_at", "-pk")
        )

    def _read(self, contract):
        fresh = self.scope_queryset(Contract.objects.filter(pk=contract.pk)).get()
        return Response(self.get_serializer(fresh).data)

    @extend_schema(
        request=ContractAcceptSerializer,
        responses={200: ContractSerializer},
        summary="Принять договор",
        description=(
            f"{PARENT} Условия пересчитываются на день принятия: договор начинается не раньше "
            "этого дня и кончается не позже срока сертификата, сумма сертификата — "
            "min(цена, норматив, доступно сейчас), остальное — доплата семьи; сумма "
            "сертификата резервируется помесячно. `copay_kopecks` — доплата, на которую "
            "родитель согласен (без него — доплата из предложения). Если пересчитанная "
            "доплата другая — 409 terms_changed: в `message` новые суммы и срок, в "
            "`fields.copay_kopecks` — новая доплата и сумма сертификата в копейках; договор "
            "не меняется, повторите с новой `copay_kopecks`. Срок принятия истёк — 409 "
            "offer_expired; идёт закрытие периода — 409 period_frozen; у модуля нет "
            "нормативной стоимости — 409 normative_missing."
        ),
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def accept(self, request, pk=None):
        contract = self.get_object()
        data = ContractAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.accept(
            actor=request.user,
            contract=contract,
            copay_kopecks=data.validated_data.get("copay_kopecks"),
        )
        return self._read(contract)

    @extend_schema(
        request=None,
        responses={200: ContractSerializer},
        summary="Отказаться от предложенного договора",
        description=f"{PARENT} Место в группе освобождается.",
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def decline(self, request, pk=None):
        contract = services.decline(actor=request.user, contract=self.get_object())
        return self._read(contract)

    def _continuation(self) -> ContinuationOffer:
        contract = self.get_object()
        offer = contract.continuations.filter(status=ContinuationOffer.Status.OFFERED).first()
        if offer is None:
            raise Conflict(
                "Нет предложения продолжить этот договор, ждущего ответа.", code="no_continuation"
            )
        return offer

    @extend_schema(
        request=None,
        responses={200: ContractSerializer},
        summary="Согласиться продолжить договор в новом периоде",
        description=(
            f"{PARENT} При закрытии периода, если доплата семьи растёт, договор продолжается "
            "только с согласия (поле `continuation`). Месяцы нового периода добавляются и "
            "резервируются на предложенных условиях. Нет предложения — 409 no_continuation; "
            "срок истёк — 409 continuation_expired."
        ),
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="continuation/accept", filterset_class=None)
    def accept_continuation(self, request, pk=None):
        offer = services.accept_continuation(actor=request.user, offer=self._continuation())
        return self._read(offer.contract)

    @extend_schema(
        request=None,
        responses={200: ContractSerializer},
        summary="Отказаться продолжать договор в новом периоде",
        description=(
            f"{PARENT} Договор завершается на границе периода, место освобождается. Нет "
            "предложения — 409 no_continuation; срок истёк — 409 continuation_expired."
        ),
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="continuation/decline", filterset_class=None)
    def decline_continuation(self, request, pk=None):
        offer = services.decline_continuation(actor=request.user, offer=self._continuation())
        return self._read(offer.contract)

    @extend_schema(
        request=ContractTerminateSerializer,
        responses={200: ContractSerializer},
        summary="Расторгнуть договор",
        description=(
            "Родитель — по своему заявлению (причина по желанию); сотрудник поставщика "
            "(отчисление) и оператор — с обязательной причиной. Незатраченный резерв "
            "возвращается на сертификат сразу (текущий месяц остаётся к оплате). Только "
            "действующий договор; иначе 409 not_active."
        ),
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def terminate(self, request, pk=None):
        contract = self.get_object()
        data = ContractTerminateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.terminate(
            actor=request.user, contract=contract, reason=data.validated_data.get("reason", "")
        )
        return self._read(contract)
