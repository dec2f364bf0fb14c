"""API URLs of enrolment applications and contracts, and of the look-up by certificate number
and surname with the operator's report of look-ups, and the public enrolment check."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from pfdo.enrolment.api import check, lookups, views

router = SimpleRouter()
router.register("applications", views.ApplicationViewSet, basename="enrolment-application")
router.register("contracts", views.ContractViewSet, basename="contract")
router.register(
    "certificate-lookups", lookups.CertificateLookupViewSet, basename="certificate-lookup"
)

urlpatterns = [
    # Under /certificates/ as before (the certificates router takes only numeric ids there).
    path(
        "certificates/lookup/",
        lookups.CertificateLookupView.as_view(),
        name="certificate-lookup-by-number",
    ),
    path("enrolment-check/", check.EnrolmentCheckView.as_view(), name="enrolment-check"),
    *router.urls,
]
