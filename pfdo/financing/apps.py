"""App config of financing periods."""

from django.apps import AppConfig


class FinancingConfig(AppConfig):
    name = "pfdo.financing"
    label = "financing"
    verbose_name = "Программы персонифицированного финансирования"
