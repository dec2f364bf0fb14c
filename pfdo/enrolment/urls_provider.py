"""Page URLs of the provider's enrolment work and the operator's contract register."""

from django.urls import path

from pfdo.enrolment.views import provider as views

P = "cabinet/provider/"
OP = "cabinet/operator/"

urlpatterns = [
    path(f"{P}applications/", views.ApplicationListView.as_view(), name="provider_applications"),
    path(
        f"{P}applications/<int:pk>/",
        views.ApplicationView.as_view(),
        name="provider_application",
    ),
    path(
        f"{P}applications/<int:pk>/confirm/",
        views.ApplicationConfirmView.as_view(),
        name="provider_application_confirm",
    ),
    path(
        f"{P}applications/<int:pk>/reject/",
        views.ApplicationRejectView.as_view(),
        name="provider_application_reject",
    ),
    path(
        f"{P}applications/<int:pk>/code/",
        views.ApplicationCodeView.as_view(),
        name="provider_application_code",
    ),
    path(f"{P}enrol/", views.EnrolView.as_view(), name="provider_enrol"),
    path(f"{P}contracts/", views.ContractListView.as_view(), name="provider_contracts"),
    path(
        f"{P}contracts/export.xlsx",
        views.ContractExportView.as_view(),
        name="provider_contracts_export",
    ),
    path(f"{P}contracts/<int:pk>/", views.ContractView.as_view(), name="provider_contract"),
    path(f"{P}groups/<int:group_id>/roster/", views.RosterView.as_view(), name="roster"),
    path(f"{OP}contracts/", views.OperatorContractListView.as_view(), name="operator_contracts"),
    path(
        f"{OP}contracts/export.xlsx",
        views.OperatorContractExportView.as_view(),
        name="operator_contracts_export",
    ),
    path(
        f"{OP}contracts/<int:pk>/", views.OperatorContractView.as_view(), name="operator_contract"
    ),
]
