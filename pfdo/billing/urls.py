"""Page URLs of billing: provider staff, the payer and officials, families."""

from pfdo.billing import urls_operator, urls_parent, urls_provider

app_name = "billing"

urlpatterns = [
    *urls_provider.urlpatterns,
    *urls_operator.urlpatterns,
    *urls_parent.urlpatterns,
]
