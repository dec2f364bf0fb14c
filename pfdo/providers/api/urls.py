"""API routes of the providers app."""

from rest_framework.routers import SimpleRouter

from pfdo.providers.api import views

router = SimpleRouter()
router.register("providers", views.ProviderViewSet, basename="provider")
router.register(
    "bank-details-changes", views.BankDetailsChangeViewSet, basename="bank-details-change"
)

urlpatterns = router.urls
