"""`manage.py send_outbox`: send the letters of notifications still waiting (what the sweep
does every minute under celery beat) — for a deployment without a broker, or by hand after
the mail server was down."""

from django.core.management.base import BaseCommand

from pfdo.accounts import services


class Command(BaseCommand):
    help = "Отправляет письма уведомлений, которые ждут отправки дольше минуты."

    def handle(self, *args, **options):
        result = services.sweep_outbox()
        self.stdout.write(
            f"Отправлено писем: {result.sent}, отложено после ошибки: {len(result.retry)}, "
            f"не отправлено окончательно: {result.failed}."
        )
