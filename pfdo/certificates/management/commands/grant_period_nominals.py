"""`manage.py grant_period_nominals --municipality <code> [--period <id>]` or `--all`: the
period's nominal to every live financing certificate, once (a repeat grants nothing).

`--all` is the daily job: every municipality whose approved period is running today, so a
new period's nominals arrive on its first day without anyone pressing a button.
"""

from django.core.management.base import BaseCommand, CommandError

from pfdo.certificates import selectors, services
from pfdo.common import clock
from pfdo.common.errors import DomainError
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import current_period
from pfdo.territory.models import Municipality


class Command(BaseCommand):
    help = (
        "Начисляет номинал периода всем действующим сертификатам финансирования "
        "муниципалитета (повторный запуск ничего не начисляет дважды)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--municipality", help="код муниципалитета, например vorkuta")
        parser.add_argument(
            "--all",
            action="store_true",
            help="все муниципалитеты с утверждённым периодом, идущим сегодня (ежедневный запуск)",
        )
        parser.add_argument(
            "--period",
            type=int,
            help="номер периода; по умолчанию — утверждённый период, идущий сегодня",
        )

    def handle(self, *args, municipality: str | None, period: int | None, **options):
        if options["all"]:
            if municipality or period:
                raise CommandError("--all не сочетается с --municipality и --period.")
            self._all()
            return
        if not municipality:
            raise CommandError("Укажите --municipality <код> или --all.")
        place = Municipality.objects.filter(code=municipality.strip()).first()
        if place is None:
            raise CommandError(f"Муниципалитет с кодом «{municipality}» не найден.")
        chosen = self._period(place, period)
        try:
            granted = services.grant_period_nominals(actor=None, period=chosen)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        where = f"{place.name}, период «{chosen.name}»"
        left = selectors.unfunded_count(chosen)
        if granted:
            self.stdout.write(f"{where}: начислено номиналов: {granted}.")
        elif not left:
            self.stdout.write(f"{where}: начислено номиналов: 0 — всем сертификатам уже начислено.")
        else:
            self.stdout.write(f"{where}: начислено номиналов: 0.")
        if left:
            self.stdout.write(
                f"Без места в квоте или бюджете периода: {left} (с начала периода — сертификаты "
                "учёта с запросом на перевод в очереди)."
            )

    def _all(self) -> None:
        total = 0
        for run in services.grant_running_periods(clock.today()):
            where = f"{run.municipality.name}, период «{run.period.name}»"
            if run.error:
                # One municipality's short budget must not stop the others' grants.
                self.stderr.write(f"{where}: {run.error}")
                continue
            total += run.granted
            self.stdout.write(f"{where}: начислено {run.granted}.")
        self.stdout.write(f"Всего начислено номиналов: {total}.")

    def _period(self, place: Municipality, pk: int | None) -> FinancingPeriod:
        if pk is None:
            today = clock.today()
            found = current_period(place, today)
            if found is None:
                raise CommandError(
                    f"У муниципалитета «{place.name}» нет утверждённого периода на "
                    f"{today:%d.%m.%Y}. Укажите период: --period <номер>."
                )
            return found
        found = FinancingPeriod.objects.filter(pk=pk, municipality=place).first()
        if found is None:
            raise CommandError(f"Период № {pk} муниципалитета «{place.name}» не найден.")
        if found.status != FinancingPeriod.Status.APPROVED:
            raise CommandError(
                f"Период «{found.name}» не утверждён ({found.get_status_display()}): номиналы "
                "начисляются только в утверждённом периоде."
            )
        return found
