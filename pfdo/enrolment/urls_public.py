"""Public page URLs of enrolment (no login): the enrolment check."""

from django.urls import path

from pfdo.enrolment.views import check

urlpatterns = [
    path("enrolment-check/", check.EnrolmentCheckView.as_view(), name="check"),
]
