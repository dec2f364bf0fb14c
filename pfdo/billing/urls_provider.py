"""Page URLs of the provider's billing: months, journal, advance requests, invoices."""

from django.urls import path

from pfdo.billing.views import journal
from pfdo.billing.views import provider as views

PROVIDER_BILLING = "cabinet/provider/billing/"

urlpatterns = [
    path(PROVIDER_BILLING, views.HomeView.as_view(), name="provider_billing"),
    path(f"{PROVIDER_BILLING}advances/", views.AdvanceListView.as_view(), name="provider_advances"),
    path(
        f"{PROVIDER_BILLING}advances/build/",
        views.AdvanceBuildView.as_view(),
        name="provider_advance_build",
    ),
    path(
        f"{PROVIDER_BILLING}advances/<int:pk>/",
        views.AdvanceView.as_view(),
        name="provider_advance",
    ),
    path(
        f"{PROVIDER_BILLING}advances/<int:pk>/submit/",
        views.AdvanceSubmitView.as_view(),
        name="provider_advance_submit",
    ),
    path(
        f"{PROVIDER_BILLING}advances/<int:pk>/rebuild/",
        views.AdvanceRebuildView.as_view(),
        name="provider_advance_rebuild",
    ),
    path(f"{PROVIDER_BILLING}invoices/", views.InvoiceListView.as_view(), name="provider_invoices"),
    path(
        f"{PROVIDER_BILLING}invoices/build/",
        views.InvoiceBuildView.as_view(),
        name="provider_invoice_build",
    ),
    path(
        f"{PROVIDER_BILLING}invoices/correction/",
        views.CorrectionBuildView.as_view(),
        name="provider_correction_build",
    ),
    path(
        f"{PROVIDER_BILLING}invoices/<int:pk>/",
        views.InvoiceView.as_view(),
        name="provider_invoice",
    ),
    path(
        f"{PROVIDER_BILLING}invoices/<int:pk>/submit/",
        views.InvoiceSubmitView.as_view(),
        name="provider_invoice_submit",
    ),
    path(
        f"{PROVIDER_BILLING}invoices/<int:pk>/rebuild/",
        views.InvoiceRebuildView.as_view(),
        name="provider_invoice_rebuild",
    ),
    path(
        f"{PROVIDER_BILLING}invoices/<int:pk>/print/",
        views.invoice_print,
        name="provider_invoice_print",
    ),
    path(
        f"{PROVIDER_BILLING}journal/",
        journal.JournalPickView.as_view(),
        name="provider_journal_pick",
    ),
    path(
        f"{PROVIDER_BILLING}journal/<int:group_id>/",
        journal.JournalView.as_view(),
        name="provider_journal",
    ),
    path(
        f"{PROVIDER_BILLING}lessons/<int:pk>/attendance/",
        journal.LessonMarkView.as_view(),
        name="provider_lesson_mark",
    ),
    path(
        f"{PROVIDER_BILLING}lessons/<int:pk>/cancel/",
        journal.LessonCancelView.as_view(),
        name="provider_lesson_cancel",
    ),
    path(
        f"{PROVIDER_BILLING}lessons/<int:pk>/restore/",
        journal.LessonRestoreView.as_view(),
        name="provider_lesson_restore",
    ),
    path(
        f"{PROVIDER_BILLING}lessons/<int:pk>/move/",
        journal.LessonMoveView.as_view(),
        name="provider_lesson_move",
    ),
]
