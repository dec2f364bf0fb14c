"""Compatibility operations: expert groups and experts ("critics"), from the certification data.

getPublicExpertGroups, getPublicCritic.

- An expert group is a direction in which experts have assessed programmes (catalog
  Assessment) of the region's active municipalities: {id: the direction's id (1–6), name,
  operator_id}. This system has no named expert commissions; the direction is how the
  certification divides the experts' work.
- An expert's card is public only when the expert published it (content.ExpertProfile with
  is_public): an expert's name is not public by default, so any other id — a user that is no
  expert, an expert without a published card, a deactivated account — is the same 404.
  Skills are the directions of the expert's assessments in the card region's active
  municipalities (the data the groups are made of), each with the number of assessments;
  nothing about the programmes or their providers.
"""

from __future__ import annotations

from django.db.models import Count
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from pfdo.catalog.models import Assessment
from pfdo.common.choices import Direction
from pfdo.compat import selectors
from pfdo.compat.api.base import CompatView, ok
from pfdo.compat.api.errors import NotFound
from pfdo.compat.api.lookups import id_parameter, operator_param, path_id
from pfdo.compat.api.schema import OPERATOR_ID, envelope
from pfdo.content.models import ExpertProfile


def group_name(code: str) -> str:
    return f"Эксперты: {Direction(code).label} направленность"


class ExpertGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="ID направленности (1–6).")
    name = serializers.CharField(help_text="«Эксперты: … направленность».")
    operator_id = serializers.IntegerField(help_text="ID регионального оператора (региона).")

    class Meta:
        ref_name = "PfdoV2ExpertGroup"


class CriticSkillSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="ID направленности (1–6).")
    name = serializers.CharField(help_text="Направленность.")
    assessments = serializers.IntegerField(help_text="Экспертных оценок программ.")

    class Meta:
        ref_name = "PfdoV2CriticSkill"


class CriticSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="ID эксперта.")
    name = serializers.CharField(help_text="ФИО.")
    description = serializers.CharField(allow_null=True, help_text="О себе (простой текст).")
    organization_name = serializers.CharField(allow_null=True)
    post = serializers.CharField(allow_null=True, help_text="Должность.")
    image_url = serializers.CharField(allow_null=True, help_text="Всегда null: фото нет.")
    skills = CriticSkillSerializer(many=True, help_text="Направленности оценённых программ.")

    class Meta:
        ref_name = "PfdoV2Critic"


def _by_direction(rows) -> list[tuple[str, int]]:
    """(direction code, count) rows in the order of the direction ids."""
    found = [(code, count) for code, count in rows if code in selectors.DIRECTION_IDS]
    return sorted(found, key=lambda row: selectors.DIRECTION_IDS[row[0]])


class ExpertGroupsView(CompatView):
    @extend_schema(
        operation_id="getPublicExpertGroups",
        summary="Экспертные группы региона",
        description=(
            "По одной группе на направленность, в которой эксперты оценивали программы "
            "действующих муниципалитетов региона; id группы — id направленности. "
            "Неизвестный operator_id — 404."
        ),
        parameters=[OPERATOR_ID],
        responses={200: envelope("ExpertGroups", ExpertGroupSerializer, many=True)},
    )
    def get(self, request):
        region = operator_param(self.params, "operator_id")
        rows = (
            Assessment.objects.filter(
                program__municipality__region=region, program__municipality__is_active=True
            )
            .order_by()
            .values_list("program__direction")
            .annotate(count=Count("pk"))
        )
        data = [
            {
                "id": selectors.DIRECTION_IDS[code],
                "name": group_name(code),
                "operator_id": region.pk,
            }
            for code, _ in _by_direction(rows)
        ]
        return ok(data)


class CriticView(CompatView):
    @extend_schema(
        operation_id="getPublicCritic",
        summary="Публичная карточка эксперта",
        description=(
            "Только эксперт, опубликовавший свою карточку; иначе 404 (имя эксперта не "
            "публично без его согласия). skills — направленности программ, которые он "
            "оценивал в регионе карточки, с числом оценок."
        ),
        parameters=[id_parameter("ID эксперта.")],
        responses={200: envelope("Critic", CriticSerializer)},
    )
    def get(self, request, id):
        pk = path_id(id)
        profile = (
            ExpertProfile.objects.published()
            .filter(user_id=pk, user__is_active=True)
            .select_related("user")
            .first()
        )
        if profile is None:
            raise NotFound(f"Нет публичной карточки эксперта с id {pk}.")
        rows = (
            Assessment.objects.filter(
                expert_id=pk,
                program__municipality__region=profile.region_id,
                program__municipality__is_active=True,
            )
            .order_by()
            .values_list("program__direction")
            .annotate(count=Count("pk"))
        )
        user = profile.user
        data = {
            "id": user.pk,
            "name": user.full_name or "Эксперт",  # never the login
            "description": profile.description or None,
            "organization_name": profile.organization_name or None,
            "post": profile.post or None,
            "image_url": None,
            "skills": [
                {
                    "id": selectors.DIRECTION_IDS[code],
                    "name": Direction(code).label.capitalize(),
                    "assessments": count,
                }
                for code, count in _by_direction(rows)
            ],
        }
        return ok(data)


routes = [
    path("public/expert-groups", ExpertGroupsView.as_view(), name="compat-expert-groups"),
    path("public/critic/<str:id>", CriticView.as_view(), name="compat-critic"),
]
