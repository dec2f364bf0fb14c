"""The Celery application: background jobs and the schedule (celery beat).

Its settings are Django's `CELERY_*` (config/settings.py). Without `CELERY_BROKER_URL` every
task runs in the process that enqueues it (eager), so `make run` needs no broker; a
deployment sets the broker (Redis) and runs `celery -A config worker` and `celery -A config
beat` beside the web workers (README, «Развёртывание»).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pfdo")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every app's tasks.py (pfdo.<app>.tasks).
app.autodiscover_tasks()
