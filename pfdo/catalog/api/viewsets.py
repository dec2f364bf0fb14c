"""API of the catalogue: public reads of published programmes and groups (with the public
catalogue's filters), providers' writes of their own, and the certification and registry
actions of experts and operators. Each write is one service call."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from pfdo.catalog import services
from pfdo.catalog.api.serializers import (
    AssessmentSerializer,
    AssessSerializer,
    GroupSerializer,
    GroupUpdateSerializer,
    GroupWriteSerializer,
    ModuleSerializer,
    ModuleUpdateSerializer,
    ModuleWriteSerializer,
    PhotoUploadSerializer,
    ProgramDetailSerializer,
    ProgramSerializer,
    ProgramUpdateSerializer,
    ProgramWriteSerializer,
    ReasonSerializer,
    RegistrySerializer,
    RejectSerializer,
)
from pfdo.catalog.filters import GroupFilter, ProgramFilter
from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
from pfdo.common.api.viewsets import ScopedModelViewSet
from pfdo.common.authz import authorize, can
from pfdo.common.errors import ValidationFailed
from pfdo.providers.models import Provider


def _scoped_get(model, user, pk, field: str):
    """An object the user can see, or a field error (never revealing what exists)."""
    obj = model.objects.for_user(user).filter(pk=pk).first()
    if obj is None:
        raise ValidationFailed(fields={field: "Не найдено или недоступно."})
    return obj


def _problems_for(user, program) -> list[str]:
    if can(user, "catalog.change_program", program) or can(user, "catalog.set_registry", program):
        return services.publication_problems(program)
    return []


PROGRAM_ACTION = {"request": None, "responses": {200: ProgramDetailSerializer}}


@extend_schema_view(
    list=extend_schema(summary="Программы (опубликованные; свои — поставщику)"),
    retrieve=extend_schema(summary="Программа с модулями, группами и расписанием"),
)
class ProgramViewSet(ScopedModelViewSet):
    """Programmes: anyone reads published ones; provider staff also their drafts."""

    model = Program
    filterset_class = ProgramFilter
    permission_map = {
        "list": None,
        "retrieve": None,
        "create": "catalog.add_program",
        "partial_update": "catalog.change_program",
        "submit": "catalog.submit_program",
        "assess": "catalog.assess_program",
        "certify": "catalog.decide_certification",
        "reject_certification": "catalog.decide_certification",
        "return_to_draft": "catalog.return_to_draft",
        "set_registry": "catalog.set_registry",
        "publish": "catalog.publish_program",
        "unpublish": "catalog.publish_program",
        "open_enrolment": "catalog.publish_program",
        "close_enrolment": "catalog.publish_program",
        "archive": "catalog.publish_program",
        "photo": "catalog.change_program",
    }

    def scope_queryset(self, queryset):
        queryset = queryset.select_related("provider", "municipality").order_by("name", "id")
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch(
                    "modules",
                    queryset=Module.objects.prefetch_related(
                        Prefetch(
                            "groups",
                            queryset=Group.objects.prefetch_related(
                                Prefetch("schedule", queryset=ScheduleEntry.objects.all())
                            ),
                        )
                    ),
                )
            )
        return queryset

    def get_serializer_class(self):
        return ProgramSerializer if self.action == "list" else ProgramDetailSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "publication_problems": _problems_for}

    def _detail(self, program, status_code=status.HTTP_200_OK):
        program = self.get_queryset().get(pk=program.pk) if program.pk else program
        return Response(
            ProgramDetailSerializer(program, context=self.get_serializer_context()).data,
            status=status_code,
        )

    @extend_schema(
        request=ProgramWriteSerializer,
        responses={201: ProgramDetailSerializer},
        summary="Создать программу (черновик) своего поставщика",
    )
    def create(self, request):
        data = ProgramWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        provider_id = fields.pop("provider", None)
        providers = Provider.objects.for_user(request.user).staffed_by(request.user)
        if provider_id is None:
            if providers.count() != 1:
                raise ValidationFailed(fields={"provider": "Укажите поставщика."})
            provider = providers.get()
        else:
            provider = _scoped_get(Provider, request.user, provider_id, "provider")
        authorize(request.user, "catalog.add_program", provider)
        program = services.create_program(actor=request.user, provider=provider, **fields)
        return self._detail(program, status.HTTP_201_CREATED)

    @extend_schema(
        request=ProgramUpdateSerializer,
        responses={200: ProgramDetailSerializer},
        summary="Изменить карточку своей программы",
        description=(
            "Присланные поля проверяются вместе с сохранёнными. Граница возраста, которая "
            "противоречит сохранённой другой границе, — 409 conflicts_with_current; обе "
            "границы в запросе — 400."
        ),
    )
    def partial_update(self, request, pk=None):
        program = self.get_object()
        data = ProgramUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        program = services.update_program(
            actor=request.user, program=program, **data.validated_data
        )
        return self._detail(program)

    def _transition(self, service, **kwargs):
        program = service(actor=self.request.user, program=self.get_object(), **kwargs)
        return self._detail(program)

    @extend_schema(
        methods=["PUT"],
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={200: ProgramDetailSerializer},
        summary="Загрузить фото программы (JPEG, PNG или WebP до 5 МБ)",
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        responses={200: ProgramDetailSerializer},
        summary="Удалить фото программы",
    )
    @action(detail=True, methods=["put", "delete"], parser_classes=[MultiPartParser])
    def photo(self, request, pk=None):
        program = self.get_object()
        if request.method == "DELETE":
            return self._detail(
                services.set_program_photo(actor=request.user, program=program, photo=None)
            )
        data = PhotoUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        program = services.set_program_photo(
            actor=request.user, program=program, photo=data.validated_data["photo"]
        )
        return self._detail(program)

    @extend_schema(**PROGRAM_ACTION, summary="Отправить на сертификацию (поставщик)")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(services.submit)

    @extend_schema(
        request=AssessSerializer,
        responses={201: AssessmentSerializer},
        summary="Экспертная оценка (эксперт; один раз за раунд)",
    )
    @action(detail=True, methods=["post"])
    def assess(self, request, pk=None):
        program = self.get_object()
        data = AssessSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = services.assess(actor=request.user, program=program, **data.validated_data)
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ReasonSerializer,
        responses={200: ProgramDetailSerializer},
        summary="Сертифицировать (оператор; нужна хотя бы одна оценка)",
    )
    @action(detail=True, methods=["post"])
    def certify(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._transition(services.certify, comment=data.validated_data.get("reason", ""))

    @extend_schema(
        request=RejectSerializer,
        responses={200: ProgramDetailSerializer},
        summary="Отказать в сертификации (оператор; причина обязательна)",
    )
    @action(detail=True, methods=["post"], url_path="reject-certification")
    def reject_certification(self, request, pk=None):
        program = self.get_object()
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        program = services.reject_certification(
            actor=request.user, program=program, reason=data.validated_data["reason"]
        )
        return self._detail(program)

    @extend_schema(
        request=ReasonSerializer,
        responses={200: ProgramDetailSerializer},
        summary="Вернуть в черновик (поставщик или оператор)",
    )
    @action(detail=True, methods=["post"], url_path="return-to-draft")
    def return_to_draft(self, request, pk=None):
        program = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        program = services.return_to_draft(
            actor=request.user, program=program, reason=data.validated_data.get("reason", "")
        )
        return self._detail(program)

    @extend_schema(
        request=RegistrySerializer,
        responses={200: ProgramDetailSerializer},
        summary="Бюджетный реестр и «только платная» (оператор)",
        description=(
            "Неприсланное поле сохраняет значение. «Только платная» при бюджетном реестре "
            "(сохранённом) или сертификации программы — 409 paid_only_refused; "
            "`paid_only: true` вместе с бюджетным реестром в одном запросе — 400."
        ),
    )
    @action(detail=True, methods=["post"], url_path="set-registry")
    def set_registry(self, request, pk=None):
        program = self.get_object()
        data = RegistrySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        program = services.set_registries(
            actor=request.user, program=program, **data.validated_data
        )
        return self._detail(program)

    @extend_schema(**PROGRAM_ACTION, summary="Опубликовать (только полностью заполненную)")
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._transition(services.publish)

    @extend_schema(**PROGRAM_ACTION, summary="Снять с публикации")
    @action(detail=True, methods=["post"])
    def unpublish(self, request, pk=None):
        return self._transition(services.unpublish)

    @extend_schema(**PROGRAM_ACTION, summary="Открыть запись")
    @action(detail=True, methods=["post"], url_path="open-enrolment")
    def open_enrolment(self, request, pk=None):
        return self._transition(services.open_enrolment)

    @extend_schema(**PROGRAM_ACTION, summary="Закрыть запись")
    @action(detail=True, methods=["post"], url_path="close-enrolment")
    def close_enrolment(self, request, pk=None):
        return self._transition(services.close_enrolment)

    @extend_schema(**PROGRAM_ACTION, summary="Отправить в архив")
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return self._transition(services.archive)


@extend_schema_view(
    list=extend_schema(summary="Модули видимых программ"),
    retrieve=extend_schema(summary="Модуль с расчётом нормативной стоимости"),
)
class ModuleViewSet(ScopedModelViewSet):
    model = Module
    serializer_class = ModuleSerializer
    permission_map = {
        "list": None,
        "retrieve": None,
        "create": "catalog.change_program",
        "partial_update": "catalog.change_program",
        "destroy": "catalog.change_program",
    }

    def scope_queryset(self, queryset):
        return queryset.select_related("program").order_by("program_id", "position", "id")

    @extend_schema(
        request=ModuleWriteSerializer,
        responses={201: ModuleSerializer},
        summary="Добавить модуль в свою программу",
    )
    def create(self, request):
        data = ModuleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        program = _scoped_get(Program, request.user, fields.pop("program"), "program")
        authorize(request.user, "catalog.change_program", program)
        module = services.add_module(actor=request.user, program=program, **fields)
        return Response(ModuleSerializer(module).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ModuleUpdateSerializer,
        responses={200: ModuleSerializer},
        summary="Изменить модуль (цена, часы — нормативная стоимость пересчитывается)",
        description=(
            "Присланные поля проверяются вместе с сохранёнными. Наименьшее или наибольшее "
            "число детей, которое противоречит сохранённому другому, — 409 "
            "conflicts_with_current; оба в запросе — 400."
        ),
    )
    def partial_update(self, request, pk=None):
        module = self.get_object()
        data = ModuleUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        module = services.update_module(actor=request.user, module=module, **data.validated_data)
        return Response(ModuleSerializer(module).data)

    @extend_schema(responses={204: None}, summary="Удалить модуль")
    def destroy(self, request, pk=None):
        services.delete_module(actor=request.user, module=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Группы опубликованных программ с расписанием и местами"),
    retrieve=extend_schema(summary="Группа с расписанием"),
)
class GroupViewSet(ScopedModelViewSet):
    model = Group
    serializer_class = GroupSerializer
    filterset_class = GroupFilter
    permission_map = {
        "list": None,
        "retrieve": None,
        "create": "catalog.change_program",
        "partial_update": "catalog.change_program",
    }

    def scope_queryset(self, queryset):
        return (
            queryset.select_related("module")
            .prefetch_related("schedule")
            .order_by("module_id", "starts_on", "name", "id")
        )

    def _read(self, group, status_code=status.HTTP_200_OK):
        group = Group.objects.prefetch_related("schedule").select_related("module").get(pk=group.pk)
        return Response(GroupSerializer(group).data, status=status_code)

    @extend_schema(
        request=GroupWriteSerializer,
        responses={201: GroupSerializer},
        summary="Добавить группу с расписанием",
        description=(
            "Занятие в том же помещении в то же время у другой группы — 409 schedule_clash; "
            "занятия самой группы, пересекающиеся между собой, — 400 schedule_clash."
        ),
    )
    def create(self, request):
        data = GroupWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        module = _scoped_get(Module, request.user, fields.pop("module"), "module")
        authorize(request.user, "catalog.change_program", module)
        group = services.add_group(actor=request.user, module=module, **fields)
        return self._read(group, status.HTTP_201_CREATED)

    @extend_schema(
        request=GroupUpdateSerializer,
        responses={200: GroupSerializer},
        summary="Изменить группу; schedule заменяет всё расписание",
        description=(
            "Присланные поля проверяются вместе с сохранёнными. Мест меньше, чем уже занято, — "
            "409 seats_taken; дата, которая противоречит сохранённой другой дате, — 409 "
            "conflicts_with_current (обе даты в запросе — 400). Занятие в том же помещении в "
            "то же время у другой группы (новое расписание, помещение, адрес или даты) — 409 "
            "schedule_clash; занятия самой группы, пересекающиеся между собой, — 400."
        ),
    )
    def partial_update(self, request, pk=None):
        group = self.get_object()
        data = GroupUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        group = services.update_group(actor=request.user, group=group, **data.validated_data)
        return self._read(group)
