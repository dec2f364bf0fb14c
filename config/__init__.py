"""The Django project. The Celery app is loaded with it, so `@shared_task`s bind to it."""

from config.celery import app as celery_app

__all__ = ("celery_app",)
