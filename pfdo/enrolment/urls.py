"""Page URLs of enrolment: the parent's applications and contracts, the provider's work."""

from pfdo.enrolment import urls_parent, urls_provider

app_name = "enrolment"

urlpatterns = [*urls_parent.urlpatterns, *urls_provider.urlpatterns]
