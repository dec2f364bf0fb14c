"""API URLs of enrolment applications and contracts."""

urlpatterns: list = []
