"""Admin of regions and municipalities, with edit history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pfdo.territory.models import Municipality, Region


@admin.register(Region)
class RegionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "okato"]
    search_fields = ["name", "code"]


@admin.register(Municipality)
class MunicipalityAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "region", "kind", "number", "is_active"]
    list_filter = ["region", "kind", "is_active"]
    search_fields = ["name", "code"]
