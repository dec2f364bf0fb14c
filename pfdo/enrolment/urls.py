"""Page URLs of enrolment: the parent's applications and contracts, the provider's work."""

app_name = "enrolment"

urlpatterns: list = []
