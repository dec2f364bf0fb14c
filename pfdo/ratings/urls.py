"""Page URLs of ratings: the family's, the operator's moderation, the provider's replies."""

from django.urls import path

from pfdo.ratings import views

app_name = "ratings"

urlpatterns = [
    path("cabinet/parent/ratings/", views.FamilyRatingsView.as_view(), name="family_list"),
    # enrolment's completion notice links here by path (it must not import ratings).
    path("cabinet/parent/ratings/contracts/<int:pk>/", views.RateView.as_view(), name="rate"),
    path("cabinet/ratings/moderation/", views.ModerationView.as_view(), name="moderation"),
    path("cabinet/ratings/<int:pk>/publish/", views.PublishView.as_view(), name="publish"),
    path("cabinet/ratings/<int:pk>/hide/", views.HideView.as_view(), name="hide"),
    path("cabinet/provider/ratings/", views.ProviderRatingsView.as_view(), name="provider_list"),
    path("cabinet/provider/ratings/<int:pk>/reply/", views.ReplyView.as_view(), name="reply"),
]
