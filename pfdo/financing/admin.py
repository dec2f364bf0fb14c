"""Read-only admin of financing periods: changes go through the pages and services (audit)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pfdo.financing.models import FinancingPeriod, NominalCategory


class _ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NominalCategoryInline(admin.TabularInline):
    model = NominalCategory
    extra = 0
    can_delete = False
    fields = ["name", "age_from_months", "age_to_months", "disability_only", "nominal_kopecks"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FinancingPeriod)
class FinancingPeriodAdmin(_ReadOnlyAdmin):
    list_display = ["name", "municipality", "starts_on", "ends_on", "status", "certificate_quota"]
    list_filter = ["status", "municipality__region"]
    search_fields = ["name", "municipality__name"]
    inlines = [NominalCategoryInline]


@admin.register(NominalCategory)
class NominalCategoryAdmin(_ReadOnlyAdmin):
    list_display = ["name", "period", "age_from_months", "age_to_months", "nominal_kopecks"]
