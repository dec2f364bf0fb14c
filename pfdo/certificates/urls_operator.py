"""Page URLs of the operator's certificate work and the provider's certificate look-up."""

app_name = "certificates"

urlpatterns: list = []
