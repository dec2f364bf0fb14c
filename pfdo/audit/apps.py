"""App config of the audit log."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pfdo.audit"
    label = "audit"
    verbose_name = "Журнал действий"
