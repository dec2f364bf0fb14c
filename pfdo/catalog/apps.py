"""App config of the catalogue; registers the names of its audit actions."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "pfdo.catalog"
    label = "catalog"
    verbose_name = "Каталог программ"

    def ready(self) -> None:
        from pfdo.audit import labels
        from pfdo.catalog import services
        from pfdo.financing import services as financing

        # An approved period brings the normative costs every module is paid up to.
        financing.period_approved.connect(services.recompute_after_approval)

        labels.register(
            {
                "catalog.program_created": "Создана программа",
                "catalog.program_updated": "Изменена карточка программы",
                "catalog.photo_changed": "Загружено фото программы",
                "catalog.photo_removed": "Удалено фото программы",
                "catalog.module_added": "Добавлен модуль",
                "catalog.module_updated": "Изменён модуль",
                "catalog.module_deleted": "Удалён модуль",
                "catalog.group_added": "Добавлена группа",
                "catalog.group_updated": "Изменена группа",
                "catalog.lesson_added": "Добавлено занятие в расписание",
                "catalog.lesson_deleted": "Удалено занятие из расписания",
                "catalog.normative_recomputed": "Пересчитана нормативная стоимость",
                "catalog.program_submitted": "Программа отправлена на сертификацию",
                "catalog.program_assessed": "Экспертная оценка программы",
                "catalog.program_certified": "Программа сертифицирована",
                "catalog.certification_rejected": "Отказано в сертификации",
                "catalog.program_returned_to_draft": "Программа возвращена в черновик",
                "catalog.registry_set": "Изменены реестры программы",
                "catalog.program_published": "Программа опубликована",
                "catalog.program_unpublished": "Программа снята с публикации",
                "catalog.enrolment_opened": "Открыта запись",
                "catalog.enrolment_closed": "Закрыта запись",
                "catalog.program_archived": "Программа в архиве",
            }
        )
