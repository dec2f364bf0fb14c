"""Page URLs of the financing app."""

from django.urls import path

from pfdo.financing import views

app_name = "financing"

urlpatterns = [
    path("cabinet/calendar/", views.CalendarView.as_view(), name="calendar"),
    path(
        "cabinet/calendar/<int:pk>/delete/",
        views.CalendarDayDeleteView.as_view(),
        name="calendar_day_delete",
    ),
    path("cabinet/financing/", views.PeriodListView.as_view(), name="period_list"),
    path("cabinet/financing/new/", views.PeriodCreateView.as_view(), name="period_create"),
    path("financing/<int:pk>/", views.PeriodDetailView.as_view(), name="period_detail"),
    path("cabinet/financing/<int:pk>/edit/", views.PeriodUpdateView.as_view(), name="period_edit"),
    path(
        "cabinet/financing/<int:pk>/approve/",
        views.PeriodApproveView.as_view(),
        name="period_approve",
    ),
    path(
        "cabinet/financing/<int:pk>/nominals/new/",
        views.NominalCreateView.as_view(),
        name="nominal_create",
    ),
    path(
        "cabinet/financing/<int:pk>/nominals/<int:category_pk>/edit/",
        views.NominalUpdateView.as_view(),
        name="nominal_edit",
    ),
    path(
        "cabinet/financing/<int:pk>/nominals/<int:category_pk>/delete/",
        views.NominalDeleteView.as_view(),
        name="nominal_delete",
    ),
]
