"""Old ПФДО programme ids in this system's own API (/api/v1/program-aliases/): the list of the
operator's municipalities, a batch written all or nothing, removing one.

(The public ПФДО API v2 itself is pfdo/compat/api/; this is the officials' API v1.)
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from pfdo.common.api.query import ID_SCHEMA, query_int
from pfdo.common.api.viewsets import ScopedViewSetMixin
from pfdo.common.authz import can
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.ids import MAX_ID
from pfdo.compat.models import ProgramAlias
from pfdo.compat.services import aliases as services
from pfdo.territory.models import Municipality

TAG = "program-aliases"


class ProgramAliasSerializer(serializers.ModelSerializer):
    program_name = serializers.CharField(source="program.name", read_only=True)
    municipality = serializers.IntegerField(
        source="program.municipality_id", read_only=True, help_text="Муниципалитет программы."
    )
    pfdo_id = serializers.IntegerField(
        source="legacy_id", read_only=True, help_text="Номер программы в ПФДО."
    )

    class Meta:
        model = ProgramAlias
        fields = [
            "id",
            "program",
            "program_name",
            "municipality",
            "pfdo_id",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "program": {"help_text": "Номер программы в этой системе."},
            "created_by": {"help_text": "Кто внёс номер (пользователь), null — система."},
        }


class AliasItemSerializer(serializers.Serializer):
    program = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Номер программы в этой системе."
    )
    pfdo_id = serializers.IntegerField(
        min_value=1, max_value=services.MAX_LEGACY_ID, help_text="Номер программы в ПФДО."
    )


class AliasBatchSerializer(serializers.Serializer):
    municipality = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Муниципалитет, программам которого даются номера."
    )
    aliases = serializers.ListField(
        child=AliasItemSerializer(),
        min_length=1,
        max_length=services.MAX_ROWS,
        error_messages={
            "min_length": "Нужна хотя бы одна строка.",
            "max_length": f"Строк больше {services.MAX_ROWS}: разделите их на части.",
            "not_a_list": "Нужен список строк.",
        },
    )


class AliasResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Программ, получивших номер ПФДО впервые.")
    replaced = serializers.IntegerField(help_text="Программ, чей прежний номер ПФДО заменён.")
    unchanged = serializers.IntegerField(help_text="Программ, у которых этот номер ПФДО уже был.")


def _int_param(request, name: str) -> int | None:
    """An id filter of the list (ID_SCHEMA); an id of nothing is an empty list."""
    return query_int(
        request.query_params,
        name,
        low=1,
        high=MAX_ID,
        message="Укажите номер — целое положительное число.",
    )


@extend_schema_view(
    list=extend_schema(
        operation_id="program_aliases_list",
        summary="Номера программ из ПФДО (муниципалитеты оператора)",
        parameters=[
            OpenApiParameter(
                "program", ID_SCHEMA, description="Номер программы; такой нет — пустой список."
            ),
            OpenApiParameter(
                "municipality",
                ID_SCHEMA,
                description="Id муниципалитета; такого нет — пустой список.",
            ),
        ],
        responses={200: ProgramAliasSerializer(many=True)},
        tags=[TAG],
    ),
    destroy=extend_schema(
        operation_id="program_aliases_destroy",
        summary="Удалить номер ПФДО программы (она снова доступна по своему номеру)",
        responses={204: None},
        tags=[TAG],
    ),
)
class ProgramAliasViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    model = ProgramAlias
    serializer_class = ProgramAliasSerializer
    permission_map = {
        "list": services.PERMISSION,
        "create": services.PERMISSION,
        "destroy": services.PERMISSION,
    }

    def scope_queryset(self, queryset):
        queryset = (
            queryset.managed_by(self.request.user)
            .select_related("program")
            .order_by("program__municipality_id", "program_id")
        )
        if self.action == "list":
            program = _int_param(self.request, "program")
            if program is not None:
                queryset = queryset.filter(program_id=program)
            municipality = _int_param(self.request, "municipality")
            if municipality is not None:
                queryset = queryset.filter(program__municipality_id=municipality)
        return queryset

    @extend_schema(
        operation_id="program_aliases_create",
        summary="Внести номера программ из ПФДО (все строки или ни одной)",
        description=(
            "Программа должна быть программой этого муниципалитета; номер ПФДО не занят другой "
            "программой и не совпадает с собственным номером программы без номера ПФДО. "
            "Ошибка в любой строке — 400, поля `aliases.<i>.program` / `aliases.<i>.pfdo_id` "
            "(i — с нуля) называют каждую, ничего не сохраняется; если каждый отказ — номер, "
            "уже занятый другой программой (или её собственный), — 409 aliases_conflict с теми "
            "же полями. Повтор тех же строк ничего "
            "не меняет; программа с другим номером ПФДО получает новый (replaced)."
        ),
        request=AliasBatchSerializer,
        responses={200: AliasResultSerializer},
        tags=[TAG],
    )
    def create(self, request):
        data = AliasBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        municipality = Municipality.objects.filter(pk=data.validated_data["municipality"]).first()
        if municipality is None or not can(request.user, services.PERMISSION, municipality):
            raise ValidationFailed(
                fields={"municipality": "Муниципалитет не найден или его номера вам недоступны."}
            )
        rows = [
            services.AliasRow(item["program"], item["pfdo_id"], index + 1)
            for index, item in enumerate(data.validated_data["aliases"])
        ]
        try:
            result = services.set_aliases(actor=request.user, municipality=municipality, rows=rows)
        except services.AliasRowsInvalid as exc:
            fields: dict[str, list[str]] = {}
            for problem in exc.problems:
                fields.setdefault(f"aliases.{problem.line - 1}.{problem.field}", []).append(
                    problem.text[:1].upper() + problem.text[1:]
                )
            message = f"Ошибки в элементах aliases ({len(fields)}). Ничего не сохранено."
            if all(problem.conflict for problem in exc.problems):
                # Every refused number is already another programme's: the state says no (409).
                raise Conflict(message, code="aliases_conflict", fields=fields) from exc
            raise ValidationFailed(message, code=exc.code, fields=fields) from exc
        return Response(
            AliasResultSerializer(
                {
                    "created": result.created,
                    "replaced": result.replaced,
                    "unchanged": result.unchanged,
                }
            ).data,
            status=status.HTTP_200_OK,
        )

    def destroy(self, request, pk=None):
        services.remove_alias(actor=request.user, alias=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
