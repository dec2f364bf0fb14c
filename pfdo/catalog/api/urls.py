"""API routes of the catalog app."""

from rest_framework.routers import SimpleRouter

from pfdo.catalog.api import viewsets

router = SimpleRouter()
router.register("programs", viewsets.ProgramViewSet, basename="program")
router.register("modules", viewsets.ModuleViewSet, basename="module")
router.register("groups", viewsets.GroupViewSet, basename="group")

urlpatterns = router.urls
