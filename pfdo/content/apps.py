"""Public content the region's officials edit: news, questions and answers, instructions, video
instructions, useful contacts, the municipality's "how to get a certificate" text, the regional
operator's public card (contacts, privacy policy) and the experts' public cards.

It is what a public portal shows besides the catalogue: this system's own pages and the public
ПФДО API v2 compatibility layer (pfdo.compat) read it from here.
"""

from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "pfdo.content"
    label = "content"
    verbose_name = "Публичные материалы"

    def ready(self) -> None:
        from pfdo.audit import labels

        labels.register(
            {
                "content.created": "Добавлен материал портала",
                "content.updated": "Изменён материал портала",
                "content.published": "Материал портала опубликован",
                "content.unpublished": "Материал портала снят с публикации",
                "content.deleted": "Удалён материал портала",
                "content.portal_saved": "Изменена карточка регионального оператора",
                "content.municipality_page_saved": "Изменена страница муниципалитета",
                "content.expert_profile_saved": "Изменена карточка эксперта",
            }
        )
