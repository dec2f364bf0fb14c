"""`manage.py close_period --municipality <code> [--period <id>]`: close an ended period.

Contracts whose groups go on continue against the next period's nominal (their remaining
months reserved there), the rest complete, and unreserved money lapses to the budget.
Re-runnable: a run after a crash finishes what is left.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from pfdo.billing import services
from pfdo.common import clock
from pfdo.common.errors import DomainError
from pfdo.common.money import format_kopecks
from pfdo.financing.models import FinancingPeriod


class Command(BaseCommand):
    help = "Закрытие периода: продолжение договоров в следующем периоде, сгорание остатков."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", required=True, help="Код муниципалитета.")
        parser.add_argument(
            "--period",
            type=int,
            help="id периода (по умолчанию — последний закончившийся и не закрытый).",
        )

    def handle(self, *args, municipality=None, period=None, **options):
        periods = FinancingPeriod.objects.filter(municipality__code=municipality)
        if period:
            target = periods.filter(pk=period).first()
        else:
            target = (
                periods.filter(status=FinancingPeriod.Status.APPROVED, ends_on__lt=clock.today())
                .order_by("-ends_on")
                .first()
            )
        if target is None:
            raise CommandError("Период для закрытия не найден.")
        try:
            closing = services.close_period(actor=None, period=target)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Период «{target.name}» закрыт: продолжено договоров {closing.continued_contracts}, "
            f"завершено {closing.ended_contracts}, сгорело {format_kopecks(closing.lapsed_kopecks)} "
            f"на {closing.lapsed_certificates} сертификатах."
        )
