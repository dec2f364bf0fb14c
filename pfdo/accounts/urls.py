"""Page URLs of accounts."""

from django.urls import path

from pfdo.accounts import views
from pfdo.accounts.roles import Role

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("cabinet/", views.CabinetView.as_view(), name="home"),
    path("cabinet/parent/", views.RoleHomeView.as_view(role=Role.PARENT), name="home_parent"),
    path(
        "cabinet/provider/",
        views.RoleHomeView.as_view(role=Role.PROVIDER_STAFF),
        name="home_provider",
    ),
    path("cabinet/operator/", views.RoleHomeView.as_view(role=Role.OPERATOR), name="home_operator"),
    path("cabinet/payer/", views.RoleHomeView.as_view(role=Role.PAYER), name="home_payer"),
    path("cabinet/expert/", views.RoleHomeView.as_view(role=Role.EXPERT), name="home_expert"),
    path(
        "cabinet/region/",
        views.RoleHomeView.as_view(role=Role.REGIONAL_ADMIN),
        name="home_region",
    ),
    path("cabinet/admin/", views.RoleHomeView.as_view(role="superuser"), name="home_admin"),
    path("cabinet/notifications/", views.NotificationListView.as_view(), name="notifications"),
    path(
        "cabinet/notifications/read/",
        views.MarkNotificationsReadView.as_view(),
        name="notifications_mark_read",
    ),
    path("cabinet/users/", views.UserListView.as_view(), name="user_list"),
    path("cabinet/users/<int:pk>/", views.UserDetailView.as_view(), name="user_detail"),
    path(
        "cabinet/users/<int:pk>/issue-password/",
        views.IssuePasswordView.as_view(),
        name="issue_password",
    ),
]
