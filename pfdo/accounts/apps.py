"""App config of accounts; connects the login events to the audit log."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pfdo.accounts"
    label = "accounts"
    verbose_name = "Пользователи и роли"

    def ready(self) -> None:
        from pfdo.accounts import receivers  # noqa: F401  (connects signal receivers)
        from pfdo.audit import labels

        labels.register(
            {
                "accounts.login": "Вход",
                "accounts.logout": "Выход",
                "accounts.login_failed": "Неудачная попытка входа",
                "accounts.locked_out": "Вход заблокирован после неудачных попыток",
                "accounts.user_created": "Создан пользователь",
                "accounts.role_granted": "Выдана роль",
                "accounts.role_revoked": "Отозвана роль",
                "accounts.password_changed": "Пароль изменён",
                "accounts.password_reset": "Пароль восстановлен по почте",
                "accounts.password_issued": "Выдан одноразовый пароль",
                "accounts.api_token_issued": "Выдан API-токен",
                "accounts.api_token_revoked": "Отозван API-токен",
            }
        )
