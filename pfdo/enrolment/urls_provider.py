"""Page URLs of the provider's enrolment work (with the certificate look-up) and the operator's
contract register and report of look-ups."""

from django.urls import path

from pfdo.enrolment.views import lookup
from pfdo.enrolment.views import provider as views

PROVIDER_CABINET = "cabinet/provider/"
OPERATOR_CABINET = "cabinet/operator/"

urlpatterns = [
    path(
        f"{PROVIDER_CABINET}applications/",
        views.ApplicationListView.as_view(),
        name="provider_applications",
    ),
    path(
        f"{PROVIDER_CABINET}applications/<int:pk>/",
        views.ApplicationView.as_view(),
        name="provider_application",
    ),
    path(
        f"{PROVIDER_CABINET}applications/<int:pk>/confirm/",
        views.ApplicationConfirmView.as_view(),
        name="provider_application_confirm",
    ),
    path(
        f"{PROVIDER_CABINET}applications/<int:pk>/reject/",
        views.ApplicationRejectView.as_view(),
        name="provider_application_reject",
    ),
    path(
        f"{PROVIDER_CABINET}applications/<int:pk>/code/",
        views.ApplicationCodeView.as_view(),
        name="provider_application_code",
    ),
    path(f"{PROVIDER_CABINET}enrol/", views.EnrolView.as_view(), name="provider_enrol"),
    path(
        f"{PROVIDER_CABINET}certificate-lookup/",
        lookup.LookupView.as_view(),
        name="provider_lookup",
    ),
    path(
        f"{PROVIDER_CABINET}contracts/", views.ContractListView.as_view(), name="provider_contracts"
    ),
    path(
        f"{PROVIDER_CABINET}contracts/export.xlsx",
        views.ContractExportView.as_view(),
        name="provider_contracts_export",
    ),
    path(
        f"{PROVIDER_CABINET}contracts/<int:pk>/",
        views.ContractView.as_view(),
        name="provider_contract",
    ),
    path(
        f"{PROVIDER_CABINET}groups/<int:group_id>/roster/",
        views.RosterView.as_view(),
        name="roster",
    ),
    path(
        f"{OPERATOR_CABINET}contracts/",
        views.OperatorContractListView.as_view(),
        name="operator_contracts",
    ),
    path(
        f"{OPERATOR_CABINET}contracts/export.xlsx",
        views.OperatorContractExportView.as_view(),
        name="operator_contracts_export",
    ),
    path(
        f"{OPERATOR_CABINET}contracts/<int:pk>/",
        views.OperatorContractView.as_view(),
        name="operator_contract",
    ),
    path(
        f"{OPERATOR_CABINET}certificate-lookups/",
        lookup.LookupReportView.as_view(),
        name="operator_lookups",
    ),
]
