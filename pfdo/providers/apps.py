"""App config of the provider registry."""

from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "pfdo.providers"
    label = "providers"
    verbose_name = "Реестр поставщиков"
