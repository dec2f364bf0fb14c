"""App config of the ledger: accounts and transfers, the only place money moves."""

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "pfdo.ledger"
    label = "ledger"
    verbose_name = "Учёт средств"
