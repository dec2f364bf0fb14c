"""API URLs of children, certificate applications and certificates."""

from rest_framework.routers import SimpleRouter

from pfdo.certificates.api import views

router = SimpleRouter()
router.register("children", views.ChildViewSet, basename="child")
router.register(
    "certificate-applications",
    views.CertificateApplicationViewSet,
    basename="certificate-application",
)
router.register("certificates", views.CertificateViewSet, basename="certificate")

urlpatterns = router.urls
