"""Page URLs of the parent's side: online application and the personal cabinet."""

app_name = "family"

urlpatterns: list = []
