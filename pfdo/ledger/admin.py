"""Read-only admin of the ledger: money moves only through the ledger services."""

from django.contrib import admin

from pfdo.ledger.models import Account, Transfer


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(_ReadOnlyAdmin):
    list_display = [
        "key",
        "kind",
        "municipality",
        "period",
        "credits_posted_kopecks",
        "debits_posted_kopecks",
        "debits_pending_kopecks",
        "credits_pending_kopecks",
    ]
    list_filter = ["kind", "municipality__region"]
    search_fields = ["key"]
    list_select_related = ["municipality", "period"]


@admin.register(Transfer)
class TransferAdmin(_ReadOnlyAdmin):
    list_display = [
        "created_at",
        "key",
        "kind",
        "phase",
        "debit_account",
        "credit_account",
        "amount_kopecks",
        "description",
    ]
    list_filter = ["kind", "phase"]
    search_fields = ["key", "description"]
    list_select_related = ["debit_account", "credit_account"]
    raw_id_fields = ["debit_account", "credit_account", "pending"]
    date_hierarchy = "created_at"
