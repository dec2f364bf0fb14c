"""Read-only admin of children, applications and certificates: changes go through the pages
and services (audit, ledger), and the admin never shows a child's СНИЛС or document."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pfdo.certificates.models import (
    Certificate,
    CertificateApplication,
    Child,
    Guardianship,
    NumberSequence,
    SwitchRequest,
)


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnlyAdmin(_ReadOnly, SimpleHistoryAdmin):
    pass


class GuardianshipInline(_ReadOnly, admin.TabularInline):
    model = Guardianship
    extra = 0
    fields = ["user", "relation", "created_at"]
    readonly_fields = fields


@admin.register(Child)
class ChildAdmin(_ReadOnlyAdmin):
    # The identifiers stay out: the operator's card shows them and logs the read.
    fields = [
        "last_name",
        "first_name",
        "patronymic",
        "birth_date",
        "sex",
        "document_type",
        "municipality",
        "has_disability",
        "created_at",
    ]
    list_display = ["last_name", "first_name", "patronymic", "birth_date", "municipality"]
    list_filter = ["municipality__region", "municipality"]
    search_fields = ["last_name", "first_name"]
    list_select_related = ["municipality"]
    inlines = [GuardianshipInline]


@admin.register(CertificateApplication)
class CertificateApplicationAdmin(_ReadOnlyAdmin):
    list_display = ["pk", "child", "municipality", "channel", "status", "created_at"]
    list_filter = ["status", "channel", "municipality"]
    list_select_related = ["child", "municipality"]
    raw_id_fields = ["child", "parent", "created_by", "decided_by"]
    date_hierarchy = "created_at"


@admin.register(Certificate)
class CertificateAdmin(_ReadOnlyAdmin):
    list_display = ["number", "child", "municipality", "type", "status", "issued_at", "valid_until"]
    list_filter = ["type", "status", "municipality"]
    search_fields = ["number"]
    list_select_related = ["child", "municipality"]
    raw_id_fields = ["child", "application"]
    date_hierarchy = "issued_at"


@admin.register(SwitchRequest)
class SwitchRequestAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["certificate", "municipality", "status", "created_at", "decided_at"]
    list_filter = ["status", "municipality"]
    list_select_related = ["certificate", "municipality"]
    raw_id_fields = ["certificate"]


@admin.register(NumberSequence)
class NumberSequenceAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["municipality", "last_value"]
