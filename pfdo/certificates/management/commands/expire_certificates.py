"""`manage.py expire_certificates [--date YYYY-MM-DD]`: certificates of children who have
turned 18 expire, and their unreserved money returns to the budget (run daily)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from pfdo.certificates import services
from pfdo.common import clock
from pfdo.common.errors import DomainError


class Command(BaseCommand):
    help = (
        "Переводит в «истёк» сертификаты детей, которым исполнилось 18 лет, и возвращает "
        "их незарезервированный остаток в бюджет."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", help="на какую дату проверять (ГГГГ-ММ-ДД); по умолчанию — сегодня"
        )

    def handle(self, *args, date: str | None, **options):
        if date:
            try:
                day = dt.date.fromisoformat(date.strip())
            except ValueError as exc:
                raise CommandError(
                    f"Неверная дата «{date}»: укажите её в формате ГГГГ-ММ-ДД, например 2027-01-10."
                ) from exc
        else:
            day = clock.today()
        try:
            expired = services.expire_certificates(actor=None, today=day)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"На {day:%d.%m.%Y} истекло сертификатов: {expired}.")
