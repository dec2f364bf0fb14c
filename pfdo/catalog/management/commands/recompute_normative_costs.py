"""Recompute the normative cost of every module of a municipality (after a period changes)."""

from django.core.management.base import BaseCommand, CommandError

from pfdo.catalog import services
from pfdo.territory.models import Municipality


class Command(BaseCommand):
    help = "Пересчитать нормативную стоимость модулей всех программ муниципалитета."

    def add_arguments(self, parser):
        parser.add_argument(
            "--municipality", required=True, help="код муниципалитета, например vorkuta"
        )

    def handle(self, *args, municipality, **options):
        found = Municipality.objects.filter(code=municipality).first()
        if found is None:
            raise CommandError(f"Муниципалитет с кодом {municipality!r} не найден.")
        count = services.recompute_normative_costs(actor=None, municipality=found)
        self.stdout.write(f"Пересчитано модулей: {count}")
