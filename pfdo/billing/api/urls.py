"""API routes of billing: attendance, lessons, advance requests, invoices, payments."""

from rest_framework.routers import SimpleRouter

from pfdo.billing.api import views

router = SimpleRouter()
router.register("lessons", views.LessonViewSet, basename="billing-lesson")
router.register("attendance", views.AttendanceViewSet, basename="billing-attendance")
router.register("advance-requests", views.AdvanceRequestViewSet, basename="advance-request")
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("billing", views.BillingViewSet, basename="billing")

urlpatterns = router.urls
