"""App config of the shared kernel."""

from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "pfdo.common"
    label = "common"
    verbose_name = "Общее"

    def ready(self):
        from pfdo.common.api.fields import text_takes_only_strings
        from pfdo.common.images import configure_pillow

        configure_pillow()
        text_takes_only_strings()
