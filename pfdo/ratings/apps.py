"""App config of ratings and reviews; registers the names of its audit actions."""

from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "pfdo.ratings"
    label = "ratings"
    verbose_name = "Оценки и отзывы"

    def ready(self) -> None:
        from pfdo.audit import labels

        labels.register(
            {
                "ratings.rated": "Родитель оценил программу",
                "ratings.changed": "Родитель изменил оценку программы",
                "ratings.published": "Отзыв опубликован",
                "ratings.hidden": "Отзыв скрыт модератором",
                "ratings.replied": "Поставщик ответил на отзыв",
            }
        )
