"""Background jobs: long work (a month run, an import, a period close) leaves the request.

A job is a row (`Job`): what to do, who asked, how far it got, how it ended. A Celery task
runs it; the row, not the task, is the record, so a lost task is found and run again by the
sweep, and a job asked for twice while it waits or runs is one job.
"""

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "pfdo.jobs"
    label = "jobs"
    verbose_name = "Фоновые задания"

    def ready(self) -> None:
        # Every app's tasks.py registers its job handlers and periodic tasks; loaded here too,
        # so a web process (which never imports Celery's autodiscovery) knows their labels.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
