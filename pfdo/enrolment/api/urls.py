"""API URLs of enrolment applications and contracts."""

from rest_framework.routers import SimpleRouter

from pfdo.enrolment.api import views

router = SimpleRouter()
router.register("applications", views.ApplicationViewSet, basename="enrolment-application")
router.register("contracts", views.ContractViewSet, basename="contract")

urlpatterns = router.urls
