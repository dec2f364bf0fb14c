"""Billing pages of the payer and the municipality's officials (included by urls.py).

`official_*` pages are read by the operator, the payer and the regional administrator;
`payer_*` are the payer's actions; the period close is the operator's.
"""

from django.urls import path

from pfdo.billing.forms.payer import KIND_ADVANCE, KIND_INVOICE
from pfdo.billing.views import official
from pfdo.billing.views import payer as views

BILLING = "cabinet/billing/"
ADVANCE = f"{BILLING}advances/<int:pk>/"
INVOICE = f"{BILLING}invoices/<int:pk>/"

urlpatterns = [
    path(BILLING, views.OverviewView.as_view(), name="official_overview"),
    path(ADVANCE, views.DocumentView.as_view(kind=KIND_ADVANCE), name="official_advance"),
    path(
        f"{ADVANCE}accept/",
        views.AcceptView.as_view(kind=KIND_ADVANCE),
        name="payer_advance_accept",
    ),
    path(
        f"{ADVANCE}reject/",
        views.RejectView.as_view(kind=KIND_ADVANCE),
        name="payer_advance_reject",
    ),
    path(f"{ADVANCE}pay/", views.PayView.as_view(kind=KIND_ADVANCE), name="payer_advance_pay"),
    path(INVOICE, views.DocumentView.as_view(kind=KIND_INVOICE), name="official_invoice"),
    path(
        f"{INVOICE}accept/",
        views.AcceptView.as_view(kind=KIND_INVOICE),
        name="payer_invoice_accept",
    ),
    path(
        f"{INVOICE}reject/",
        views.RejectView.as_view(kind=KIND_INVOICE),
        name="payer_invoice_reject",
    ),
    path(f"{INVOICE}pay/", views.PayView.as_view(kind=KIND_INVOICE), name="payer_invoice_pay"),
    path(f"{BILLING}run/", official.RunView.as_view(), name="payer_run"),
    path(f"{BILLING}payments/", official.PaymentListView.as_view(), name="official_payments"),
    path(
        f"{BILLING}payments/registry.csv",
        official.PaymentsCsvView.as_view(),
        name="official_payments_csv",
    ),
    path(
        f"{BILLING}payments/registry.xlsx",
        official.PaymentsXlsxView.as_view(),
        name="official_payments_xlsx",
    ),
    path(
        f"{BILLING}reconciliation/",
        official.ReconciliationView.as_view(),
        name="official_reconciliation",
    ),
    path(f"{BILLING}periods/", official.PeriodListView.as_view(), name="official_periods"),
    path(
        f"{BILLING}periods/<int:pk>/close/",
        official.PeriodCloseView.as_view(),
        name="official_period_close",
    ),
]
