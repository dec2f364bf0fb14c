"""App config of the catalogue."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "pfdo.catalog"
    label = "catalog"
    verbose_name = "Каталог программ"
