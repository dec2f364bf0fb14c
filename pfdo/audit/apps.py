"""App config of the audit log."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pfdo.audit"
    label = "audit"
    verbose_name = "Журнал действий"

    def ready(self) -> None:
        from pfdo.audit import labels, services
        from pfdo.common import ratelimit

        ratelimit.refused.connect(services.record_rate_limited)
        labels.register({"rate_limited": "Отказ: превышен лимит попыток"})
