"""API of the provider registry: public reads, the application, the admin's card and staff,
the operator's registry decisions, and requests to change the bank details."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from pfdo.common.api.schema import RETRY_AFTER
from pfdo.common.api.viewsets import ScopedModelViewSet
from pfdo.common.errors import ValidationFailed
from pfdo.common.idempotency import mark_secret
from pfdo.financing.models import FinancingPeriod
from pfdo.providers import selectors, services
from pfdo.providers.api.serializers import (
    BankDetailsChangeCreateSerializer,
    BankDetailsChangeSerializer,
    BankDetailsRejectSerializer,
    DecisionSerializer,
    EnrolmentLimitSerializer,
    EnrolmentLimitSetSerializer,
    ExclusionSerializer,
    ProviderApplicationSerializer,
    ProviderSerializer,
    ProviderUpdateSerializer,
    RequiredDecisionSerializer,
    StaffCreatedSerializer,
    StaffCreateSerializer,
    StaffSerializer,
)
from pfdo.providers.filters import BankDetailsChangeFilter, ProviderFilter
from pfdo.providers.models import (
    BANK_FIELDS,
    PROFILE_FIELDS,
    BankDetailsChange,
    EnrolmentLimit,
    Provider,
    ProviderStaff,
)

_STAFF_FIELDS = (
    "login",
    "last_name",
    "first_name",
    "patronymic",
    "email",
    "phone",
    "position",
    "password",
)


def _decision(summary: str, *, required: bool, request=None, more: str = ""):
    note = "Причина обязательна." if required else "Комментарий по желанию."
    return extend_schema(
        request=request or (RequiredDecisionSerializer if required else DecisionSerializer),
        responses={200: ProviderSerializer},
        summary=summary,
        description=f"Оператор муниципалитета поставщика (или администратор региона). {note}"
        + (f" {more}" if more else ""),
    )


class ProviderViewSet(ScopedModelViewSet):
    """Providers: the public sees those in the registry; officials and staff also their own."""

    model = Provider
    serializer_class = ProviderSerializer
    filterset_class = ProviderFilter
    permission_map = {
        "list": None,
        "retrieve": None,
        "create": None,  # anyone applies, no login needed
        "partial_update": "providers.change_provider",
        "include": "providers.decide",
        "reject": "providers.decide",
        "reject_duplicate": "providers.decide",
        "needs_check": "providers.decide",
        "reinstate": "providers.decide",
        "exclude": "providers.decide",
        "staff": "providers.view_staff",
        "add_staff": "providers.manage_staff",
        "deactivate_staff": "providers.manage_staff",
        "enrolment_limits": "providers.view_confidential",
        "set_enrolment_limit": "providers.set_enrolment_limit",
    }

    def scope_queryset(self, queryset):
        return queryset.select_related("municipality").order_by("short_name", "pk")

    def _render(self, provider, code=status.HTTP_200_OK):
        return Response(self.get_serializer(provider).data, status=code)

    @extend_schema(summary="Поставщики (публичный реестр)")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Поставщик")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=ProviderApplicationSerializer,
        responses={201: ProviderSerializer},
        summary="Подать заявку на включение в реестр",
        description="Без входа. Создаёт поставщика «на рассмотрении» и его первого сотрудника "
        "(администратора организации) с логином и паролем staff_login / staff_password. "
        "ИНН, уже известный реестру муниципалитета, ответ не меняет: заявка принимается, "
        "оператор видит её отмеченной как дубликат, организации с этим ИНН уходит письмо. "
        "Ограничено число заявок с одного адреса и на один ИНН: сверх него — 429 с "
        "Retry-After.",
        parameters=[RETRY_AFTER],
    )
    def create(self, request):
        data = ProviderApplicationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        staff = {name: values.get(f"staff_{name}", "") for name in _STAFF_FIELDS}
        provider = services.apply_provider(
            actor=request.user,
            municipality=values["municipality"],
            profile={name: values[name] for name in PROFILE_FIELDS if name in values},
            first_staff=services.NewStaff(**staff),
        )
        return self._render(provider, status.HTTP_201_CREATED)

    @extend_schema(
        request=ProviderUpdateSerializer,
        responses={200: ProviderSerializer},
        summary="Изменить сведения поставщика (администратор организации)",
        description="После включения в реестр ИНН, ОГРН и форма не меняются, а банковские "
        "реквизиты (bank_name, bik, settlement_account, correspondent_account) меняются только "
        "заявкой POST /api/v1/bank-details-changes/, которую подтверждает оператор "
        "муниципалитета: другое значение здесь — 409 bank_details_locked с полями реквизитов "
        "(ИНН, ОГРН или форма — 409 identity_locked). ИНН другого поставщика муниципалитета — "
        "409 duplicate_inn (если других ошибок нет).",
    )
    def partial_update(self, request, pk=None):
        provider = self.get_object()
        data = ProviderUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        provider = services.update_profile(
            actor=request.user, provider=provider, changes=data.validated_data
        )
        return self._render(provider)

    def _decide(self, request, service, serializer=DecisionSerializer):
        provider = self.get_object()
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        provider = service(actor=request.user, provider=provider, **data.decision())
        return self._render(provider)

    @_decision("Включить в реестр", required=False)
    @action(detail=True, methods=["post"])
    def include(self, request, pk=None):
        return self._decide(request, services.include)

    @_decision("Отказать во включении", required=True)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.reject, RequiredDecisionSerializer)

    @extend_schema(
        request=None,
        responses={200: ProviderSerializer},
        summary="Отклонить заявку как дубликат",
        description="Оператор муниципалитета поставщика (или администратор региона). Одним "
        "действием отказывает заявке, отмеченной как дубликат (duplicate_reason не пуст), с "
        "нейтральной причиной; заявитель получает уведомление. Без отметки — 409 not_duplicate.",
    )
    @action(detail=True, methods=["post"], url_path="reject-duplicate")
    def reject_duplicate(self, request, pk=None):
        provider = services.reject_duplicate(actor=request.user, provider=self.get_object())
        return self._render(provider)

    @_decision("Отправить на проверку (новые зачисления приостановлены)", required=True)
    @action(detail=True, methods=["post"], url_path="needs-check")
    def needs_check(self, request, pk=None):
        return self._decide(request, services.mark_needs_check, RequiredDecisionSerializer)

    @_decision("Вернуть в реестр после проверки", required=False)
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        return self._decide(request, services.reinstate)

    @_decision(
        "Исключить из реестра",
        required=True,
        request=ExclusionSerializer,
        more="Новые подтверждения, предложения и принятия договоров прекращаются сразу; "
        "заявки и непринятые предложения закрываются, семьи извещаются. Оператор решает, что "
        "будет с действующими договорами: contracts=run_to_end (действуют до окончания) или "
        "contracts=terminate с terminate_on — последним днём (сегодня или позже). Ошибки полей "
        "(нет выбора, нет даты, дата в прошлом) — 400 validation_error с fields.contracts / "
        "fields.terminate_on.",
    )
    @action(detail=True, methods=["post"])
    def exclude(self, request, pk=None):
        return self._decide(request, services.exclude, ExclusionSerializer)

    @extend_schema(
        responses={200: StaffSerializer(many=True)},
        summary="Сотрудники поставщика",
        description="Администратор организации и должностные лица муниципалитета.",
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def staff(self, request, pk=None):
        provider = self.get_object()
        return Response(StaffSerializer(selectors.staff_of(provider), many=True).data)

    @extend_schema(
        request=StaffCreateSerializer,
        responses={201: StaffCreatedSerializer},
        summary="Добавить сотрудника (выдаётся одноразовый пароль)",
        description="Логин, который уже занят, — 409 login_taken (если других ошибок нет).",
        filters=False,
    )
    @staff.mapping.post
    def add_staff(self, request, pk=None):
        provider = self.get_object()
        data = StaffCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        is_admin = values.pop("is_admin", False)
        row, issued = services.add_staff(
            actor=request.user,
            provider=provider,
            staff=services.NewStaff(**{k: values.get(k, "") for k in _STAFF_FIELDS[:-1]}),
            is_admin=is_admin,
        )
        body = StaffCreatedSerializer({"staff": row, "issued_password": issued}).data
        return mark_secret(Response(body, status=status.HTTP_201_CREATED), "issued_password")

    @extend_schema(
        request=None,
        responses={200: StaffSerializer},
        summary="Отключить сотрудника",
        parameters=[OpenApiParameter("staff_pk", int, OpenApiParameter.PATH)],
        filters=False,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"staff/(?P<staff_pk>[0-9]+)/deactivate",
        filterset_class=None,
    )
    def deactivate_staff(self, request, pk=None, staff_pk=None):
        provider = self.get_object()
        row = get_object_or_404(
            ProviderStaff.objects.for_user(request.user).filter(provider=provider), pk=staff_pk
        )
        row = services.deactivate_staff(actor=request.user, staff=row)
        return Response(StaffSerializer(row).data)

    @extend_schema(
        responses={200: EnrolmentLimitSerializer(many=True)},
        summary="Лимиты зачисления поставщика по программам ПФ",
        description="Видят должностные лица муниципалитета, плательщик и сотрудники поставщика.",
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="enrolment-limits",
        pagination_class=None,
        filterset_class=None,
    )
    def enrolment_limits(self, request, pk=None):
        provider = self.get_object()
        rows = EnrolmentLimit.objects.for_user(request.user).filter(provider=provider)
        return Response(EnrolmentLimitSerializer(rows.select_related("period"), many=True).data)

    @extend_schema(
        request=EnrolmentLimitSetSerializer,
        responses={200: EnrolmentLimitSerializer, 204: None},
        summary="Задать лимит зачисления на период (оператор); null — снять лимит",
        description="Период не утверждён — 409 period_not_approved.",
        filters=False,
    )
    @enrolment_limits.mapping.post
    def set_enrolment_limit(self, request, pk=None):
        provider = self.get_object()
        data = EnrolmentLimitSetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        period = (
            FinancingPeriod.objects.for_user(request.user)
            .filter(pk=data.validated_data["period"])
            .first()
        )
        if period is None:
            raise ValidationFailed(fields={"period": "Программа ПФ на период не найдена."})
        row = services.set_enrolment_limit(
            actor=request.user,
            provider=provider,
            period=period,
            max_children=data.validated_data["max_children"],
        )
        if row is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(EnrolmentLimitSerializer(row).data)


# ---------------------------------------------------------------- bank details


@extend_schema_view(
    list=extend_schema(
        summary="Заявки на смену банковских реквизитов",
        description="Администратор организации — заявки своей организации; оператор, "
        "плательщик и администратор региона — заявки поставщиков своего муниципалитета "
        "(региона). Фильтры: status (pending — очередь оператора), provider.",
    ),
    retrieve=extend_schema(summary="Заявка на смену банковских реквизитов"),
)
class BankDetailsChangeViewSet(ScopedModelViewSet):
    """The provider admin files, the operator of the municipality approves or rejects; only an
    approval changes the provider's bank details. Documents already issued keep theirs."""

    model = BankDetailsChange
    serializer_class = BankDetailsChangeSerializer
    filterset_class = BankDetailsChangeFilter
    permission_map = {
        "list": "providers.list_bank_changes",
        "retrieve": "providers.view_bank_change",
        "create": "providers.request_bank_change",
        "approve": "providers.decide_bank_change",
        "reject": "providers.decide_bank_change",
        "withdraw": "providers.withdraw_bank_change",
    }

    def scope_queryset(self, queryset):
        return queryset.select_related(
            "provider", "provider__municipality", "filed_by", "decided_by"
        ).order_by("-filed_at", "-pk")

    def _render(self, change, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=change.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(
        request=BankDetailsChangeCreateSerializer,
        responses={201: BankDetailsChangeSerializer},
        summary="Подать заявку на смену банковских реквизитов",
        description="Администратор организации, включённой в реестр. Реквизиты проверяются "
        "(БИК — 9 цифр, ключ расчётного и корр. счёта по БИК); ошибки — 400 validation_error "
        "с полями. Одна заявка в ожидании на поставщика: вторая — 409 bank_change_pending; "
        "до включения в реестр — 409 bank_details_editable (реквизиты меняются в карточке); "
        "те же, что действующие, — 409 bank_details_unchanged. Пока оператор не подтвердит заявку, оплата идёт по прежним реквизитам.",
        filters=False,
    )
    def create(self, request):
        data = BankDetailsChangeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        provider = (
            Provider.objects.for_user(request.user)
            .select_related("municipality")
            .filter(pk=values.pop("provider"))
            .first()
        )
        if provider is None:
            raise ValidationFailed(fields={"provider": "Поставщик не найден."})
        change = services.request_bank_change(
            actor=request.user,
            provider=provider,
            details={name: values.get(name, "") for name in BANK_FIELDS},
            comment=values.get("comment", ""),
        )
        return self._render(change, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: BankDetailsChangeSerializer},
        summary="Подтвердить смену реквизитов (оператор)",
        description="Оператор муниципалитета поставщика. Реквизиты поставщика становятся "
        "запрошенными; плательщик и администраторы поставщика получают уведомление. Уже "
        "решённая заявка — 409 bank_change_decided.",
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def approve(self, request, pk=None):
        change = services.approve_bank_change(actor=request.user, change=self.get_object())
        return self._render(change)

    @extend_schema(
        request=BankDetailsRejectSerializer,
        responses={200: BankDetailsChangeSerializer},
        summary="Отклонить смену реквизитов (оператор, с причиной)",
        description="Оператор муниципалитета поставщика; причина обязательна (400 с полем "
        "reason). Реквизиты не меняются, администраторы поставщика получают уведомление.",
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reject(self, request, pk=None):
        change = self.get_object()
        data = BankDetailsRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.reject_bank_change(
            actor=request.user, change=change, reason=data.validated_data["reason"]
        )
        return self._render(change)

    @extend_schema(
        request=None,
        responses={200: BankDetailsChangeSerializer},
        summary="Отозвать заявку (администратор организации)",
        filters=False,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def withdraw(self, request, pk=None):
        change = services.withdraw_bank_change(actor=request.user, change=self.get_object())
        return self._render(change)
