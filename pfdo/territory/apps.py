"""App config of the territory registry."""

from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "pfdo.territory"
    label = "territory"
    verbose_name = "Территории"

    def ready(self) -> None:
        from pfdo.audit import labels

        labels.register(
            {
                "territory.region_created": "Добавлен регион",
                "territory.municipality_created": "Добавлен муниципалитет",
            }
        )
