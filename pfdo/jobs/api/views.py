"""API of background jobs: the caller's own jobs, to follow one it started (202 + Location)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from pfdo.common.api.viewsets import ScopedModelViewSet
from pfdo.jobs.api.serializers import JobSerializer
from pfdo.jobs.models import Job

SCOPE = (
    "Фоновые задания, запущенные вызывающим (расчёт месяца, импорт, закрытие периода). "
    "Состояние: queued → running → done | failed; progress — сколько сделано; result — итог "
    "после done; error — причина после failed. Чужое задание — 404."
)


@extend_schema_view(
    list=extend_schema(summary="Мои фоновые задания", description=SCOPE),
    retrieve=extend_schema(summary="Фоновое задание", description=SCOPE),
)
class JobViewSet(ScopedModelViewSet):
    model = Job
    serializer_class = JobSerializer
    permission_map = {"list": "jobs.view_job", "retrieve": "jobs.view_job"}

    def scope_queryset(self, queryset):
        return queryset.order_by("-created_at", "-pk")
