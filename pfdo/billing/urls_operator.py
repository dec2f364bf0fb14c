"""Billing pages of the payer and the municipality's officials (included by urls.py).

`official_*` pages are read by the operator, the payer and the regional administrator;
`payer_*` are the payer's actions; the period close is the operator's.
"""

from django.urls import path

from pfdo.billing.forms.payer import KIND_ADVANCE, KIND_INVOICE
from pfdo.billing.views import payer as views

B = "cabinet/billing/"
A = f"{B}advances/<int:pk>/"
I = f"{B}invoices/<int:pk>/"  # noqa: E741

urlpatterns = [
    path(B, views.OverviewView.as_view(), name="official_overview"),
    path(A, views.DocumentView.as_view(kind=KIND_ADVANCE), name="official_advance"),
    path(f"{A}accept/", views.AcceptView.as_view(kind=KIND_ADVANCE), name="payer_advance_accept"),
    path(f"{A}reject/", views.RejectView.as_view(kind=KIND_ADVANCE), name="payer_advance_reject"),
    path(f"{A}pay/", views.PayView.as_view(kind=KIND_ADVANCE), name="payer_advance_pay"),
    path(I, views.DocumentView.as_view(kind=KIND_INVOICE), name="official_invoice"),
    path(f"{I}accept/", views.AcceptView.as_view(kind=KIND_INVOICE), name="payer_invoice_accept"),
    path(f"{I}reject/", views.RejectView.as_view(kind=KIND_INVOICE), name="payer_invoice_reject"),
    path(f"{I}pay/", views.PayView.as_view(kind=KIND_INVOICE), name="payer_invoice_pay"),
    path(f"{B}run/", views.RunView.as_view(), name="payer_run"),
    path(f"{B}payments/", views.PaymentListView.as_view(), name="official_payments"),
    path(
        f"{B}payments/registry.csv",
        views.PaymentsCsvView.as_view(),
        name="official_payments_csv",
    ),
    path(
        f"{B}payments/registry.xlsx",
        views.PaymentsXlsxView.as_view(),
        name="official_payments_xlsx",
    ),
    path(f"{B}reconciliation/", views.ReconciliationView.as_view(), name="official_reconciliation"),
    path(f"{B}periods/", views.PeriodListView.as_view(), name="official_periods"),
    path(
        f"{B}periods/<int:pk>/close/",
        views.PeriodCloseView.as_view(),
        name="official_period_close",
    ),
]
