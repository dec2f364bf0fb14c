"""App config of financing periods; registers the names of its audit actions."""

from django.apps import AppConfig


class FinancingConfig(AppConfig):
    name = "pfdo.financing"
    label = "financing"
    verbose_name = "Программы персонифицированного финансирования"

    def ready(self) -> None:
        from pfdo.audit import labels

        labels.register(
            {
                "financing.period_created": "Создан период финансирования",
                "financing.period_updated": "Изменены параметры периода финансирования",
                "financing.period_approved": "Утверждён период финансирования",
                "financing.nominal_added": "Добавлена категория номинала",
                "financing.nominal_updated": "Изменена категория номинала",
                "financing.nominal_deleted": "Удалена категория номинала",
                "financing.commitments_started": "По периоду заключён первый договор",
            }
        )
