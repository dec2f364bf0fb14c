"""Compatibility with the public ПФДО API v2 (api.pfdo.ru/v2): the anonymous, read-only calls
that catalogue mirrors, bots and regional portals already make, answered in that API's
envelope, parameter names and shapes from this system's data (docs/pfdo-api-v2.md).

It only reads other apps (catalog, providers, territory, content, ratings) and asks the
enrolment check of pfdo.enrolment; its own data is the table of programme ids kept from a
former ПФДО installation (ProgramAlias, managed by the municipality's operators) and the
public enrolment check's verifications (EnrolmentVerification).
"""

from django.apps import AppConfig


class CompatConfig(AppConfig):
    name = "pfdo.compat"
    label = "compat"
    verbose_name = "Совместимость с API ПФДО v2"

    def ready(self) -> None:
        from pfdo.audit import labels
        from pfdo.compat import rules  # noqa: F401 - registers the permissions
        from pfdo.compat.services import verification

        labels.register(verification.ACTIONS)
        labels.register(
            {
                "compat.aliases_set": "Внесены номера программ из ПФДО",
                "compat.alias_removed": "Удалён номер программы из ПФДО",
            }
        )
