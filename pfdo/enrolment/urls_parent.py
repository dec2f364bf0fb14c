"""Page URLs of the parent's enrolment: apply, applications, contracts (included by urls.py)."""

from django.urls import path

from pfdo.enrolment.views import parent

urlpatterns = [
    path("cabinet/parent/enrol/<int:group_id>/", parent.ApplyView.as_view(), name="apply"),
    path("cabinet/parent/enrolment/", parent.ParentListView.as_view(), name="parent_list"),
    path(
        "cabinet/parent/enrolment/<int:pk>/",
        parent.ApplicationView.as_view(),
        name="parent_application",
    ),
    path(
        "cabinet/parent/enrolment/<int:pk>/cancel/",
        parent.CancelApplicationView.as_view(),
        name="parent_application_cancel",
    ),
    path(
        "cabinet/parent/enrolment/<int:pk>/confirm/",
        parent.ConfirmApplicationView.as_view(),
        name="parent_application_confirm",
    ),
    path(
        "cabinet/parent/contracts/<int:pk>/",
        parent.ContractView.as_view(),
        name="parent_contract",
    ),
    path(
        "cabinet/parent/contracts/<int:pk>/accept/",
        parent.AcceptContractView.as_view(),
        name="parent_contract_accept",
    ),
    path(
        "cabinet/parent/contracts/<int:pk>/decline/",
        parent.DeclineContractView.as_view(),
        name="parent_contract_decline",
    ),
    path(
        "cabinet/parent/contracts/<int:pk>/continuation/accept/",
        parent.AcceptContinuationView.as_view(),
        name="parent_continuation_accept",
    ),
    path(
        "cabinet/parent/contracts/<int:pk>/continuation/decline/",
        parent.DeclineContinuationView.as_view(),
        name="parent_continuation_decline",
    ),
    path(
        "cabinet/parent/contracts/<int:pk>/terminate/",
        parent.TerminateContractView.as_view(),
        name="parent_contract_terminate",
    ),
    path(
        "cabinet/parent/contracts/<int:pk>/print/",
        parent.ContractPrintView.as_view(),
        name="contract_print",
    ),
]
