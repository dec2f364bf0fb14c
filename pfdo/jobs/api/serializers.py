"""A background job as the API shows it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pfdo.jobs import selectors
from pfdo.jobs.models import Job


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class JobSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    result = serializers.JSONField(
        read_only=True, help_text="Итог: summary (строка) и lines (список строк); {} до конца."
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "label",
            "status",
            "summary",
            "progress",
            "result",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_label(self, job) -> str:
        return selectors.label(job)

    def get_summary(self, job) -> str:
        return selectors.summary(job)

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, job) -> dict:
        return {"done": job.progress_done, "total": job.progress_total, "percent": job.percent}
