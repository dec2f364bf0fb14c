"""API routes of billing: attendance, lessons, advance requests, invoices, payments."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = router.urls
