"""Page URLs of public content: the cabinet's «Материалы портала» and the public pages."""

from django.urls import path

from pfdo.content import views

app_name = "content"

urlpatterns = [
    path("cabinet/content/", views.ManageHomeView.as_view(), name="manage"),
    path("cabinet/content/portal/", views.PortalSettingsView.as_view(), name="portal"),
    path(
        "cabinet/content/municipalities/<int:pk>/",
        views.MunicipalityPageView.as_view(),
        name="municipality_page",
    ),
    path("cabinet/expert/profile/", views.ExpertProfileView.as_view(), name="expert_profile"),
    path("cabinet/content/<slug:kind>/", views.ManageListView.as_view(), name="manage_list"),
    path("cabinet/content/<slug:kind>/new/", views.RowFormView.as_view(), name="manage_create"),
    path("cabinet/content/<slug:kind>/<int:pk>/", views.RowFormView.as_view(), name="manage_edit"),
    path(
        "cabinet/content/<slug:kind>/<int:pk>/delete/",
        views.RowDeleteView.as_view(),
        name="manage_delete",
    ),
    path(
        "cabinet/content/<slug:kind>/<int:pk>/publish/",
        views.RowPublishView.as_view(publish=True),
        name="manage_publish",
    ),
    path(
        "cabinet/content/<slug:kind>/<int:pk>/unpublish/",
        views.RowPublishView.as_view(publish=False),
        name="manage_unpublish",
    ),
    path("news/", views.NewsListView.as_view(), name="news"),
    path("news/<int:pk>/", views.NewsDetailView.as_view(), name="news_detail"),
    path("faq/", views.FaqView.as_view(), name="faq"),
    path("instructions/", views.InstructionListView.as_view(), name="instructions"),
    path(
        "instructions/<int:pk>/",
        views.InstructionDetailView.as_view(),
        name="instruction_detail",
    ),
]
