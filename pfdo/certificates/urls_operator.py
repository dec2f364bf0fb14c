"""Page URLs of the operator's certificate work and the provider's certificate look-up."""

from django.urls import path

from pfdo.certificates.views import operator as views

app_name = "certificates"

urlpatterns = [
    path("cabinet/certificates/", views.RegistryView.as_view(), name="registry"),
    path("cabinet/certificates/import/", views.ImportView.as_view(), name="import"),
    path(
        "cabinet/certificates/import/confirm/",
        views.ImportConfirmView.as_view(),
        name="import_confirm",
    ),
    path(
        "cabinet/certificates/import/template.csv",
        views.ImportTemplateView.as_view(),
        name="import_template",
    ),
    path(
        "cabinet/certificates/periods/<int:period_pk>/",
        views.PeriodView.as_view(),
        name="period",
    ),
    path(
        "cabinet/certificates/periods/<int:period_pk>/fulfil-switches/",
        views.FulfilSwitchesView.as_view(),
        name="period_fulfil",
    ),
    path(
        "cabinet/certificates/periods/<int:period_pk>/grant-nominals/",
        views.GrantNominalsView.as_view(),
        name="period_grant",
    ),
    path("cabinet/certificates/<int:pk>/", views.CertificateDetailView.as_view(), name="detail"),
    path("cabinet/certificates/<int:pk>/print/", views.PrintView.as_view(), name="print"),
    path(
        "cabinet/certificates/<int:pk>/suspend/",
        views.CertificateStatusView.as_view(action="suspend"),
        name="suspend",
    ),
    path(
        "cabinet/certificates/<int:pk>/reactivate/",
        views.CertificateStatusView.as_view(action="reactivate"),
        name="reactivate",
    ),
    path(
        "cabinet/certificates/<int:pk>/cancel/",
        views.CertificateStatusView.as_view(action="cancel"),
        name="cancel",
    ),
    path(
        "cabinet/certificates/<int:pk>/password/",
        views.ReissuePasswordView.as_view(),
        name="reissue_password",
    ),
    path("cabinet/certificate-applications/", views.QueueView.as_view(), name="queue"),
    path(
        "cabinet/certificate-applications/new/",
        views.RegisterFamilyView.as_view(),
        name="register",
    ),
    path(
        "cabinet/certificate-applications/<int:pk>/",
        views.ApplicationView.as_view(),
        name="application",
    ),
    path(
        "cabinet/certificate-applications/<int:pk>/verify/",
        views.VerifyApplicationView.as_view(),
        name="application_verify",
    ),
    path(
        "cabinet/certificate-applications/<int:pk>/approve/",
        views.ApproveApplicationView.as_view(),
        name="application_approve",
    ),
    path(
        "cabinet/certificate-applications/<int:pk>/reject/",
        views.RejectApplicationView.as_view(),
        name="application_reject",
    ),
    path(
        "cabinet/provider/certificate-lookup/",
        views.LookupView.as_view(),
        name="lookup",
    ),
]
