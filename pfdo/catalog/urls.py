"""Page URLs of the catalogue management (provider, expert, operator)."""

from django.urls import path

from pfdo.catalog.views import certification, contents, programs

app_name = "catalog_manage"

urlpatterns = [
    path("cabinet/programs/", programs.MyProgramsView.as_view(), name="my_programs"),
    path("cabinet/programs/new/", programs.ProgramCreateView.as_view(), name="program_create"),
    path("cabinet/programs/<int:pk>/", programs.ProgramDetailView.as_view(), name="program_detail"),
    path(
        "cabinet/programs/<int:pk>/edit/", programs.ProgramEditView.as_view(), name="program_edit"
    ),
    path(
        "cabinet/programs/<int:pk>/photo/",
        programs.ProgramPhotoView.as_view(),
        name="program_photo",
    ),
    path(
        "cabinet/programs/<int:pk>/modules/new/",
        contents.ModuleCreateView.as_view(),
        name="module_create",
    ),
    path(
        "cabinet/programs/<int:pk>/action/<slug:action>/",
        programs.ProgramActionView.as_view(),
        name="program_action",
    ),
    path("cabinet/programs/<int:pk>/assess/", certification.AssessView.as_view(), name="assess"),
    path(
        "cabinet/programs/<int:pk>/decision/", certification.DecisionView.as_view(), name="decision"
    ),
    path(
        "cabinet/programs/<int:pk>/registry/", certification.RegistryView.as_view(), name="registry"
    ),
    path("cabinet/modules/<int:pk>/edit/", contents.ModuleEditView.as_view(), name="module_edit"),
    path(
        "cabinet/modules/<int:pk>/delete/",
        contents.ModuleDeleteView.as_view(),
        name="module_delete",
    ),
    path(
        "cabinet/modules/<int:pk>/groups/new/",
        contents.GroupCreateView.as_view(),
        name="group_create",
    ),
    path("cabinet/groups/<int:pk>/edit/", contents.GroupEditView.as_view(), name="group_edit"),
    path(
        "cabinet/groups/<int:pk>/schedule/", contents.ScheduleAddView.as_view(), name="schedule_add"
    ),
    path(
        "cabinet/schedule/<int:pk>/delete/",
        contents.ScheduleDeleteView.as_view(),
        name="schedule_delete",
    ),
    path("cabinet/expert/programs/", certification.ExpertQueueView.as_view(), name="expert_queue"),
    path(
        "cabinet/operator/programs/",
        certification.OperatorProgramsView.as_view(),
        name="operator_programs",
    ),
    path(
        "cabinet/operator/programs/recompute/",
        certification.RecomputeView.as_view(),
        name="recompute",
    ),
]
