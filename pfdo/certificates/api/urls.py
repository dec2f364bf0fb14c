"""API URLs of children, certificate applications and certificates."""

urlpatterns: list = []
