"""Page URLs of the providers app."""

from django.urls import path

from pfdo.providers import views

app_name = "providers"

urlpatterns = [
    path("providers/", views.PublicRegistryView.as_view(), name="public_list"),
    path("providers/apply/", views.ApplyView.as_view(), name="apply"),
    path("providers/apply/done/", views.ApplyDoneView.as_view(), name="apply_done"),
    path("providers/<int:pk>/", views.PublicProviderView.as_view(), name="public_detail"),
    path("cabinet/providers/", views.RegistryView.as_view(), name="registry"),
    path(
        "cabinet/providers/<int:pk>/", views.OperatorProviderView.as_view(), name="operator_detail"
    ),
    path(
        "cabinet/providers/<int:pk>/decide/<slug:move>/",
        views.DecisionView.as_view(),
        name="decide",
    ),
    path(
        "cabinet/providers/<int:pk>/reject-duplicate/",
        views.RejectDuplicateView.as_view(),
        name="reject_duplicate",
    ),
    path(
        "cabinet/providers/<int:pk>/limits/",
        views.EnrolmentLimitView.as_view(),
        name="set_limit",
    ),
    path("cabinet/providers/bank-details/", views.BankQueueView.as_view(), name="bank_queue"),
    path(
        "cabinet/providers/bank-details/<int:pk>/",
        views.BankChangeView.as_view(),
        name="bank_change",
    ),
    path(
        "cabinet/providers/bank-details/<int:pk>/approve/",
        views.BankChangeApproveView.as_view(),
        name="bank_change_approve",
    ),
    path(
        "cabinet/providers/bank-details/<int:pk>/reject/",
        views.BankChangeRejectView.as_view(),
        name="bank_change_reject",
    ),
    path("cabinet/provider/organisation/", views.OrganisationView.as_view(), name="organisation"),
    path(
        "cabinet/provider/organisation/bank-details/",
        views.OrganisationBankView.as_view(),
        name="organisation_bank",
    ),
    path(
        "cabinet/provider/organisation/bank-details/<int:pk>/withdraw/",
        views.OrganisationBankWithdrawView.as_view(),
        name="organisation_bank_withdraw",
    ),
    path(
        "cabinet/provider/organisation/edit/",
        views.OrganisationEditView.as_view(),
        name="organisation_edit",
    ),
    path(
        "cabinet/provider/organisation/resubmit/",
        views.ResubmitView.as_view(),
        name="resubmit",
    ),
    path(
        "cabinet/provider/organisation/staff/add/",
        views.StaffAddView.as_view(),
        name="staff_add",
    ),
    path(
        "cabinet/provider/organisation/staff/<int:staff_pk>/deactivate/",
        views.StaffDeactivateView.as_view(),
        name="staff_deactivate",
    ),
]
