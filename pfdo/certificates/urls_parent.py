"""Page URLs of the parent's side: online application and the personal cabinet."""

from django.urls import path

from pfdo.certificates.views import parent, status

app_name = "family"

urlpatterns = [
    path("certificates/apply/", parent.ApplyView.as_view(), name="apply"),
    path("certificates/apply/done/", parent.AppliedView.as_view(), name="applied"),
    path(
        "certificates/apply/status/",
        status.ApplicationStatusView.as_view(),
        name="application_status",
    ),
    path("cabinet/parent/children/", parent.FamilyHomeView.as_view(), name="home"),
    path("cabinet/parent/children/new/", parent.AddChildView.as_view(), name="add_child"),
    path(
        "cabinet/parent/certificates/<int:pk>/",
        parent.CertificateDetailView.as_view(),
        name="certificate",
    ),
    path(
        "cabinet/parent/certificates/<int:pk>/switch/",
        parent.RequestSwitchView.as_view(),
        name="request_switch",
    ),
    path(
        "cabinet/parent/certificates/<int:pk>/switch/withdraw/",
        parent.WithdrawSwitchView.as_view(),
        name="withdraw_switch",
    ),
]
