"""App config of the territory registry."""

from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "pfdo.territory"
    label = "territory"
    verbose_name = "Территории"
