"""Read-only admin of the audit log: no add, change or delete."""

from django.contrib import admin

from pfdo.audit.models import ActionLog, PersonalDataAccess


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ActionLog)
class ActionLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "on_behalf_of", "object_repr", "municipality", "ip"]
    list_filter = ["action", "municipality"]
    search_fields = ["action", "object_repr", "object_id"]
    date_hierarchy = "at"


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "subject_type", "subject_id", "purpose", "municipality", "ip"]
    list_filter = ["purpose", "subject_type", "municipality"]
    date_hierarchy = "at"
