"""Read-only admin of public content: officials change it through the pages and the API, whose
services check the rules and write the audit rows."""

from django.contrib import admin

from pfdo.content.models import (
    ExpertProfile,
    FaqEntry,
    Instruction,
    MunicipalityPage,
    News,
    PortalSettings,
    UsefulContact,
    VideoInstruction,
)


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _PlacedAdmin(_ReadOnlyAdmin):
    list_display = ["__str__", "region", "municipality", "is_published", "updated_at"]
    list_filter = ["is_published", "region", "municipality"]
    list_select_related = ["region", "municipality"]


@admin.register(News)
class NewsAdmin(_PlacedAdmin):
    list_display = ["title", "region", "municipality", "is_published", "published_at"]
    search_fields = ["title"]


@admin.register(FaqEntry)
class FaqEntryAdmin(_PlacedAdmin):
    list_filter = ["topic", *_PlacedAdmin.list_filter]
    search_fields = ["question", "question_short"]


@admin.register(Instruction)
class InstructionAdmin(_PlacedAdmin):
    search_fields = ["title"]


@admin.register(VideoInstruction)
class VideoInstructionAdmin(_PlacedAdmin):
    search_fields = ["title"]


@admin.register(UsefulContact)
class UsefulContactAdmin(_PlacedAdmin):
    search_fields = ["name", "phone", "email"]


@admin.register(PortalSettings)
class PortalSettingsAdmin(_ReadOnlyAdmin):
    list_display = ["region", "operator_name", "phone", "email", "updated_at"]


@admin.register(MunicipalityPage)
class MunicipalityPageAdmin(_ReadOnlyAdmin):
    list_display = ["municipality", "updated_at"]
    list_select_related = ["municipality"]


@admin.register(ExpertProfile)
class ExpertProfileAdmin(_ReadOnlyAdmin):
    list_display = ["user", "region", "post", "is_public", "updated_at"]
    list_filter = ["is_public", "region"]
    list_select_related = ["user", "region"]
