"""API routes of the financing app."""

from rest_framework.routers import SimpleRouter

from pfdo.financing.api import views

router = SimpleRouter()
router.register("financing-periods", views.FinancingPeriodViewSet, basename="financing-period")

router.register("calendar-days", views.CalendarDayViewSet, basename="calendar-day")

urlpatterns = router.urls
