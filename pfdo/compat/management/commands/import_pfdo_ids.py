"""Load a municipality's old ПФДО programme ids from a CSV or XLSX file (all lines or none)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pfdo.accounts.models import User
from pfdo.common.errors import DomainError
from pfdo.compat import imports
from pfdo.territory.models import Municipality


class Command(BaseCommand):
    help = (
        "Внести номера программ из ПФДО из файла CSV или XLSX: два столбца — номер программы в "
        "этой системе и её номер в ПФДО (заголовок program_id;pfdo_id — по желанию)."
    )

    def add_arguments(self, parser):
        parser.add_argument("municipality", help="код муниципалитета, например vorkuta")
        parser.add_argument("file", help="путь к файлу .csv или .xlsx")
        parser.add_argument(
            "--by",
            default="",
            help="логин оператора, от имени которого вносятся номера (по умолчанию — система)",
        )

    def handle(self, *args, municipality, file, by, **options):
        found = Municipality.objects.filter(code=municipality).first()
        if found is None:
            raise CommandError(f"Муниципалитет с кодом {municipality!r} не найден.")
        actor = None
        if by:
            actor = User.objects.filter(username=by, is_active=True).first()
            if actor is None:
                raise CommandError(f"Пользователь {by!r} не найден.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Файл {file} не найден.")
        try:
            result = imports.import_path(actor=actor, municipality=found, path=path)
        except DomainError as exc:
            lines = [exc.message, *(m for ms in exc.fields.values() for m in ms)]
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(str(result))
