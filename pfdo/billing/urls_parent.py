"""Billing pages of families (included by urls.py)."""

from django.urls import path

from pfdo.billing.views import parent

urlpatterns = [
    path(
        "cabinet/parent/contracts/<int:pk>/attendance/",
        parent.AttendanceView.as_view(),
        name="parent_attendance",
    ),
]
