"""`manage.py verify_ledger`: prove the stored account totals agree with the transfers, and
run the domain checks the apps above the ledger registered (`pfdo.ledger.checks`)."""

from django.core.management.base import BaseCommand, CommandError

from pfdo.ledger.checks import run_checks
from pfdo.ledger.selectors import ledger_size, verify_ledger


class Command(BaseCommand):
    help = "Сверяет остатки счетов учёта с проводками; код выхода 1 при расхождениях."

    def handle(self, *args, **options):
        problems = verify_ledger() + run_checks()
        transfers, accounts = ledger_size()
        summary = f"Проводок: {transfers}, счетов: {accounts}."
        if not problems:
            self.stdout.write(f"{summary} Расхождений нет.")
            return
        self.stdout.write(summary)
        for problem in problems:
            self.stdout.write(f"  {problem}")
        raise CommandError(f"Найдено расхождений: {len(problems)}.")
