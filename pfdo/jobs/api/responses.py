"""The API's answer to a call that started (or joined) a background job: 202 with the job and
its address — one shape for every such operation, and one description of it in the schema."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from pfdo.jobs.api.serializers import JobSerializer

LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.URI,
    OpenApiParameter.HEADER,
    description="Адрес задания: /api/v1/jobs/{id}/.",
    response=[202],
)


def accepted(job) -> Response:
    return Response(
        JobSerializer(job).data,
        status=status.HTTP_202_ACCEPTED,
        headers={"Location": reverse("job-detail", args=[job.pk])},
    )
