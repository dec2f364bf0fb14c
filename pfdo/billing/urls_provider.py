"""Page URLs of the provider's billing: months, journal, advance requests, invoices."""

from django.urls import path

from pfdo.billing.views import provider as views

P = "cabinet/provider/billing/"

urlpatterns = [
    path(P, views.HomeView.as_view(), name="provider_billing"),
    path(f"{P}advances/", views.AdvanceListView.as_view(), name="provider_advances"),
    path(f"{P}advances/build/", views.AdvanceBuildView.as_view(), name="provider_advance_build"),
    path(f"{P}advances/<int:pk>/", views.AdvanceView.as_view(), name="provider_advance"),
    path(
        f"{P}advances/<int:pk>/submit/",
        views.AdvanceSubmitView.as_view(),
        name="provider_advance_submit",
    ),
    path(
        f"{P}advances/<int:pk>/rebuild/",
        views.AdvanceRebuildView.as_view(),
        name="provider_advance_rebuild",
    ),
    path(f"{P}invoices/", views.InvoiceListView.as_view(), name="provider_invoices"),
    path(f"{P}invoices/build/", views.InvoiceBuildView.as_view(), name="provider_invoice_build"),
    path(f"{P}invoices/<int:pk>/", views.InvoiceView.as_view(), name="provider_invoice"),
    path(
        f"{P}invoices/<int:pk>/submit/",
        views.InvoiceSubmitView.as_view(),
        name="provider_invoice_submit",
    ),
    path(
        f"{P}invoices/<int:pk>/rebuild/",
        views.InvoiceRebuildView.as_view(),
        name="provider_invoice_rebuild",
    ),
    path(f"{P}invoices/<int:pk>/print/", views.invoice_print, name="provider_invoice_print"),
    path(f"{P}journal/", views.JournalPickView.as_view(), name="provider_journal_pick"),
    path(f"{P}journal/<int:group_id>/", views.JournalView.as_view(), name="provider_journal"),
    path(
        f"{P}lessons/<int:pk>/attendance/",
        views.LessonMarkView.as_view(),
        name="provider_lesson_mark",
    ),
    path(
        f"{P}lessons/<int:pk>/cancel/",
        views.LessonCancelView.as_view(),
        name="provider_lesson_cancel",
    ),
    path(
        f"{P}lessons/<int:pk>/restore/",
        views.LessonRestoreView.as_view(),
        name="provider_lesson_restore",
    ),
    path(f"{P}lessons/<int:pk>/move/", views.LessonMoveView.as_view(), name="provider_lesson_move"),
]
