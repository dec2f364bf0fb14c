"""One FilterSet of the action history for the page and the API."""

import django_filters

from pfdo.audit.models import ActionLog
from pfdo.common.filters import CharFilter, UtcIsoDateTimeFilter


class ActionLogFilter(django_filters.FilterSet):
    action = CharFilter(
        field_name="action", lookup_expr="startswith", label="Действие (начало кода)"
    )
    since = UtcIsoDateTimeFilter(field_name="at", lookup_expr="gte", label="С")
    until = UtcIsoDateTimeFilter(field_name="at", lookup_expr="lt", label="До")
    object_type = CharFilter(field_name="object_type", label="Тип объекта")
    object_id = CharFilter(field_name="object_id", label="Id объекта")

    class Meta:
        model = ActionLog
        fields = ["action", "since", "until", "object_type", "object_id"]
