"""`manage.py rekey_pd_hashes [--dry-run]`: after PFDO_PD_HASH_KEY changes, hash every stored
child's СНИЛС and document again with the new key (from the raw numbers on the child's card)."""

from django.core.management.base import BaseCommand

from pfdo.certificates import services


class Command(BaseCommand):
    help = (
        "Пересчитывает хэши СНИЛС и документов детей с текущим ключом PFDO_PD_HASH_KEY "
        "(после его смены; одной транзакцией, повторный запуск ничего не меняет)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="только посчитать, что изменится"
        )

    def handle(self, *args, dry_run: bool, **options):
        done = services.rekey_pd_hashes(actor=None, dry_run=dry_run)
        verb = "будет пересчитано" if dry_run else "пересчитано"
        self.stdout.write(
            f"Детей: {done.children}, {verb}: {done.children_changed}. "
            f"Записей истории: {done.history_rows}, {verb}: {done.history_changed}, "
            f"очищено (прежние номера под старым ключом): {done.history_cleared}."
        )
