"""API routes of the providers app."""

from rest_framework.routers import SimpleRouter

from pfdo.providers.api import views

router = SimpleRouter()
router.register("providers", views.ProviderViewSet, basename="provider")

urlpatterns = router.urls
