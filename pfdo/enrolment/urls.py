"""Page URLs of enrolment: the parent's applications and contracts, the provider's work; the public
enrolment check."""

from pfdo.enrolment import urls_parent, urls_provider, urls_public

app_name = "enrolment"

urlpatterns = [*urls_public.urlpatterns, *urls_parent.urlpatterns, *urls_provider.urlpatterns]
