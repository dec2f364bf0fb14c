"""API routes of the territory app."""

from rest_framework.routers import SimpleRouter

from pfdo.territory.api import views

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("municipalities", views.MunicipalityViewSet, basename="municipality")

urlpatterns = router.urls
