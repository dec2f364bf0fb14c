"""App config of the shared kernel."""

from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "pfdo.common"
    label = "common"
    verbose_name = "Общее"
