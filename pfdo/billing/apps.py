"""App config of billing: attendance, advance requests, invoices, payments, period close."""

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "pfdo.billing"
    label = "billing"
    verbose_name = "Оплата услуг поставщиков"

    def ready(self) -> None:
        from pfdo.audit import labels
        from pfdo.billing import checks
        from pfdo.ledger import checks as ledger_checks

        # The ledger cannot import billing: billing's money rules join its check this way.
        for check in checks.ALL.values():
            ledger_checks.domain_checks.connect(check)

        labels.register(
            {
                "billing.lesson_cancelled": "Занятие отменено",
                "billing.lesson_moved": "Занятие перенесено",
                "billing.lesson_restored": "Занятие восстановлено",
                "billing.attendance_marked": "Отмечена посещаемость",
                "billing.advance_built": "Сформирована заявка на аванс",
                "billing.advance_submitted": "Заявка на аванс подана",
                "billing.advance_accepted": "Заявка на аванс принята",
                "billing.advance_rejected": "Заявка на аванс отклонена",
                "billing.invoice_built": "Сформирован счёт",
                "billing.invoice_submitted": "Счёт подан",
                "billing.invoice_accepted": "Счёт принят, оплата месяца проведена",
                "billing.invoice_rejected": "Счёт отклонён",
                "billing.correction_built": "Сформирована корректировка месяца",
                "billing.correction_accepted": "Корректировка принята, излишне списанное возвращено",
                "billing.payment_recorded": "Записан платёж",
                "billing.month_run": "Расчёт месяца",
                "billing.period_closed": "Период закрыт",
            }
        )
