"""API routes of public content, under /api/v1/content/."""

from rest_framework.routers import SimpleRouter

from pfdo.content import services
from pfdo.content.api import views

router = SimpleRouter()
for slug in services.KINDS:
    router.register(f"content/{slug}", views.placed_viewset(slug), basename=f"content-{slug}")
router.register("content/portal", views.PortalSettingsViewSet, basename="content-portal")
router.register(
    "content/municipality-pages",
    views.MunicipalityPageViewSet,
    basename="content-municipality-page",
)
router.register(
    "content/expert-profiles", views.ExpertProfileViewSet, basename="content-expert-profile"
)

urlpatterns = router.urls
