"""App config of accounts; connects the login events to the audit log."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pfdo.accounts"
    label = "accounts"
    verbose_name = "Пользователи и роли"

    def ready(self) -> None:
        from pfdo.accounts import receivers  # noqa: F401  (connects signal receivers)
