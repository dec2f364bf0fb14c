"""Page URLs of the catalogue management (provider, expert, operator)."""

from django.urls import path

from pfdo.catalog.views import manage

app_name = "catalog_manage"

urlpatterns = [
    path("cabinet/programs/", manage.MyProgramsView.as_view(), name="my_programs"),
    path("cabinet/programs/new/", manage.ProgramCreateView.as_view(), name="program_create"),
    path("cabinet/programs/<int:pk>/", manage.ProgramDetailView.as_view(), name="program_detail"),
    path("cabinet/programs/<int:pk>/edit/", manage.ProgramEditView.as_view(), name="program_edit"),
    path(
        "cabinet/programs/<int:pk>/photo/", manage.ProgramPhotoView.as_view(), name="program_photo"
    ),
    path(
        "cabinet/programs/<int:pk>/modules/new/",
        manage.ModuleCreateView.as_view(),
        name="module_create",
    ),
    path(
        "cabinet/programs/<int:pk>/action/<slug:action>/",
        manage.ProgramActionView.as_view(),
        name="program_action",
    ),
    path("cabinet/programs/<int:pk>/assess/", manage.AssessView.as_view(), name="assess"),
    path("cabinet/programs/<int:pk>/decision/", manage.DecisionView.as_view(), name="decision"),
    path("cabinet/programs/<int:pk>/registry/", manage.RegistryView.as_view(), name="registry"),
    path("cabinet/modules/<int:pk>/edit/", manage.ModuleEditView.as_view(), name="module_edit"),
    path(
        "cabinet/modules/<int:pk>/delete/", manage.ModuleDeleteView.as_view(), name="module_delete"
    ),
    path(
        "cabinet/modules/<int:pk>/groups/new/",
        manage.GroupCreateView.as_view(),
        name="group_create",
    ),
    path("cabinet/groups/<int:pk>/edit/", manage.GroupEditView.as_view(), name="group_edit"),
    path(
        "cabinet/groups/<int:pk>/schedule/", manage.ScheduleAddView.as_view(), name="schedule_add"
    ),
    path(
        "cabinet/schedule/<int:pk>/delete/",
        manage.ScheduleDeleteView.as_view(),
        name="schedule_delete",
    ),
    path("cabinet/expert/programs/", manage.ExpertQueueView.as_view(), name="expert_queue"),
    path(
        "cabinet/operator/programs/",
        manage.OperatorProgramsView.as_view(),
        name="operator_programs",
    ),
    path(
        "cabinet/operator/programs/recompute/",
        manage.RecomputeView.as_view(),
        name="recompute",
    ),
]
