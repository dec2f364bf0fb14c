"""App config of the demo seeder."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "pfdo.demo"
    label = "demo"
    verbose_name = "Демонстрационные данные"
