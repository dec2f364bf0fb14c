"""App config of the reports."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "pfdo.reports"
    label = "reports"
    verbose_name = "Отчёты и показатели"

    def ready(self) -> None:
        from pfdo.reports import rules  # noqa: F401 - registers the permissions
