"""App config of the provider registry; names its audit actions in Russian."""

from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "pfdo.providers"
    label = "providers"
    verbose_name = "Реестр поставщиков"

    def ready(self) -> None:
        from pfdo.audit import labels

        labels.register(
            {
                "providers.applied": "Поставщик подал заявку на включение в реестр",
                "providers.resubmitted": "Поставщик подал заявку повторно",
                "providers.included": "Поставщик включён в реестр",
                "providers.rejected": "Отказано во включении в реестр",
                "providers.marked_needs_check": "Поставщик отправлен на проверку",
                "providers.reinstated": "Поставщик возвращён в реестр",
                "providers.excluded": "Поставщик исключён из реестра",
                "providers.profile_updated": "Изменены сведения поставщика",
                "providers.staff_added": "Добавлен сотрудник поставщика",
                "providers.staff_deactivated": "Отключён сотрудник поставщика",
                "providers.enrolment_limit_set": "Установлен лимит зачисления",
            }
        )
