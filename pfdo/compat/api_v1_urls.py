"""API v1 routes of the compatibility app: /api/v1/program-aliases/."""

from rest_framework.routers import SimpleRouter

from pfdo.compat.api_v1 import ProgramAliasViewSet

router = SimpleRouter()
router.register("program-aliases", ProgramAliasViewSet, basename="api-program-aliases")

urlpatterns = router.urls
