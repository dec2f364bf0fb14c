"""`manage.py bill_month --municipality <code> --month YYYY-MM` (or `--all`): the month run.

Builds every provider's documents for the month — the invoice once the month has ended
(December within December if the period says so), else the advance request — with a
progress bar. Each provider's document is its own transaction and existing documents are
kept, so running it again, or after it was killed half-way, creates nothing twice.
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from pfdo.billing import services
from pfdo.common.errors import DomainError
from pfdo.common.months import parse_month_or_raise
from pfdo.financing.models import FinancingPeriod
from pfdo.territory.models import Municipality


class _Bar:
    """A one-line progress bar on stderr (plain lines when it is not a terminal)."""

    def __init__(self, label: str, stream) -> None:
        self.label, self.stream = label, stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        percent = 100 * done // total if total else 100
        line = (
            f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
            f"поставщиков, {time.monotonic() - self.started:.1f} с"
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done == total else ""))
            self.stream.flush()
        elif percent // 10 != self.last // 10 or done == total:
            self.stream.write(line + "\n")
        self.last = percent


class Command(BaseCommand):
    help = "Расчёт месяца: заявки на аванс или счета всех поставщиков муниципалитета."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", help="Код муниципалитета, например vorkuta.")
        parser.add_argument(
            "--all",
            action="store_true",
            help="Все муниципалитеты, где на этот месяц есть программа ПФ.",
        )
        parser.add_argument("--month", required=True, help="Месяц: ГГГГ-ММ.")

    def handle(self, *args, municipality=None, all=False, month=None, **options):
        try:
            first = parse_month_or_raise(month)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if bool(municipality) == bool(all):
            raise CommandError("Укажите --municipality <код> или --all.")
        if all:
            ids = (
                FinancingPeriod.objects.exclude(status=FinancingPeriod.Status.DRAFT)
                .covering(first)
                .values("municipality_id")
            )
            targets = list(Municipality.objects.filter(pk__in=ids).order_by("code"))
        else:
            target = Municipality.objects.filter(code=municipality).first()
            if target is None:
                raise CommandError(f"Муниципалитет «{municipality}» не найден.")
            targets = [target]
        failed = False
        for target in targets:
            bar = _Bar(f"{target.name} {first:%m.%Y}", self.stderr._out or sys.stderr)
            try:
                result = services.bill_month(
                    actor=None, municipality=target, month=first, progress=bar
                )
            except DomainError as exc:
                self.stderr.write(f"{target.name}: {exc.message}")
                failed = failed or not all
                continue
            self.stdout.write(
                f"{target.name}, {first:%m.%Y}: поставщиков {result.providers}, "
                f"сформировано счетов {result.invoices_built}, заявок на аванс "
                f"{result.advances_built}, дополнительных счетов {result.supplementary_built}, "
                f"корректировок {result.corrections_built}, строк {result.lines}, "
                f"уже было {result.already_there}."
            )
            for name, message in result.refused:
                self.stderr.write(f"  {name}: {message}")
        if failed:
            raise CommandError("Расчёт месяца не выполнен.")
