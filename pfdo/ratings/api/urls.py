"""API URLs of ratings."""

from rest_framework.routers import SimpleRouter

from pfdo.ratings.api import views

router = SimpleRouter()
router.register("ratings", views.RatingViewSet, basename="rating")

urlpatterns = router.urls
