"""API routes of the audit log."""

from rest_framework.routers import SimpleRouter

from pfdo.audit.api import views

router = SimpleRouter()
router.register("audit/actions", views.ActionLogViewSet, basename="audit-action")

urlpatterns = router.urls
