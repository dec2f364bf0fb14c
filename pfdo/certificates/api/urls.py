"""API URLs of children, certificate applications and certificates, and the public status of
an application."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from pfdo.certificates.api import status, views

router = SimpleRouter()
router.register("children", views.ChildViewSet, basename="child")
router.register(
    "certificate-applications",
    views.CertificateApplicationViewSet,
    basename="certificate-application",
)
router.register("certificates", views.CertificateViewSet, basename="certificate")

urlpatterns = [
    # Before the router: its detail route would take "status" for an id.
    path(
        "certificate-applications/status/",
        status.ApplicationStatusView.as_view(),
        name="certificate-application-status",
    ),
    *router.urls,
]
