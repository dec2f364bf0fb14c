"""`manage.py run_enrolment_deadlines [--now YYYY-MM-DDTHH:MM]`: the enrolment job for cron.

Run every few minutes: undecided applications and unaccepted offers past their terms expire
(their places go to the waitlists), contracts past their end date complete. A re-run finds
only what is left, so a missed or doubled run does no harm.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from pfdo.common import clock
from pfdo.enrolment import services


def _moment(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        # argparse turns this into a usage error (a CommandError under call_command).
        raise argparse.ArgumentTypeError(
            f"неверный момент «{value}»: нужен формат ГГГГ-ММ-ДДTЧЧ:ММ"
        ) from exc
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = (
        "Сроки зачисления: истекают заявки без решения поставщика и непринятые договоры "
        "(места переходят листу ожидания), расторгаются договоры исключённых поставщиков в "
        "назначенный оператором день, завершаются договоры, срок которых прошёл."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            type=_moment,
            default=None,
            help="Момент, на который проверять сроки (по умолчанию — сейчас), "
            "в часовом поясе сервера: ГГГГ-ММ-ДДTЧЧ:ММ.",
        )

    def handle(self, *args, now: dt.datetime | None = None, **options):
        # With --now the whole run happens at that moment: offers made to the waitlist then
        # get their terms from it, not from the wall clock.
        with clock.frozen(now) if now else contextlib.nullcontext():
            result = services.run_deadlines(now=now)
        self.stdout.write(
            f"Истекло заявок: {result.applications_expired}, предложений: "
            f"{result.offers_expired}, завершено договоров: {result.contracts_completed}, "
            f"расторгнуто по исключению поставщиков: {result.contracts_terminated}."
        )
