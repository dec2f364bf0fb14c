"""Page URLs of the operator's certificate work (the provider's look-up is enrolment's)."""

from django.urls import path

from pfdo.certificates.views import applications, file_import, periods, registry

app_name = "certificates"

urlpatterns = [
    path("cabinet/certificates/", registry.RegistryView.as_view(), name="registry"),
    path("cabinet/certificates/import/", file_import.ImportView.as_view(), name="import"),
    path(
        "cabinet/certificates/import/confirm/",
        file_import.ImportConfirmView.as_view(),
        name="import_confirm",
    ),
    path(
        "cabinet/certificates/import/template.csv",
        file_import.ImportTemplateView.as_view(),
        name="import_template",
    ),
    path(
        "cabinet/certificates/periods/<int:period_pk>/",
        periods.PeriodView.as_view(),
        name="period",
    ),
    path(
        "cabinet/certificates/periods/<int:period_pk>/fulfil-switches/",
        periods.FulfilSwitchesView.as_view(),
        name="period_fulfil",
    ),
    path(
        "cabinet/certificates/periods/<int:period_pk>/grant-nominals/",
        periods.GrantNominalsView.as_view(),
        name="period_grant",
    ),
    path("cabinet/certificates/<int:pk>/", registry.CertificateDetailView.as_view(), name="detail"),
    path("cabinet/certificates/<int:pk>/print/", registry.PrintView.as_view(), name="print"),
    path(
        "cabinet/certificates/<int:pk>/suspend/",
        registry.CertificateStatusView.as_view(action="suspend"),
        name="suspend",
    ),
    path(
        "cabinet/certificates/<int:pk>/reactivate/",
        registry.CertificateStatusView.as_view(action="reactivate"),
        name="reactivate",
    ),
    path(
        "cabinet/certificates/<int:pk>/cancel/",
        registry.CertificateStatusView.as_view(action="cancel"),
        name="cancel",
    ),
    path(
        "cabinet/certificates/<int:pk>/password/",
        registry.ReissuePasswordView.as_view(),
        name="reissue_password",
    ),
    path("cabinet/certificate-applications/", applications.QueueView.as_view(), name="queue"),
    path(
        "cabinet/certificate-applications/new/",
        applications.RegisterFamilyView.as_view(),
        name="register",
    ),
    path(
        "cabinet/certificate-applications/<int:pk>/",
        applications.ApplicationView.as_view(),
        name="application",
    ),
    path(
        "cabinet/certificate-applications/<int:pk>/verify/",
        applications.VerifyApplicationView.as_view(),
        name="application_verify",
    ),
    path(
        "cabinet/certificate-applications/<int:pk>/approve/",
        applications.ApproveApplicationView.as_view(),
        name="application_approve",
    ),
    path(
        "cabinet/certificate-applications/<int:pk>/reject/",
        applications.RejectApplicationView.as_view(),
        name="application_reject",
    ),
    path(
        "cabinet/certificate-applications/<int:pk>/reject-duplicate/",
        applications.RejectDuplicateView.as_view(),
        name="application_reject_duplicate",
    ),
]
