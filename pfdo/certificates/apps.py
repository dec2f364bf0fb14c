"""App config of children, guardians, certificate applications and certificates."""

from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "pfdo.certificates"
    label = "certificates"
    verbose_name = "Сертификаты"

    def ready(self) -> None:
        from pfdo.audit import labels
        from pfdo.certificates.services import amendments
        from pfdo.financing import services as financing

        # The period's quota and budget: what they bear is known here (decisions.md, issue 12).
        financing.period_floors.connect(amendments.period_floors)
        financing.period_amended.connect(amendments.period_amended)

        labels.register(
            {
                "certificates.application_filed": "Подано заявление на сертификат",
                "certificates.application_verified": "Заявление на сертификат проверено",
                "certificates.application_rejected": "Заявление на сертификат отклонено",
                "certificates.certificate_issued": "Выдан сертификат",
                "certificates.suspended": "Сертификат приостановлен",
                "certificates.reactivated": "Сертификат возобновлён",
                "certificates.cancelled": "Сертификат аннулирован",
                "certificates.expired": "Сертификат истёк",
                "certificates.switch_requested": "Запрошен перевод в сертификат финансирования",
                "certificates.switched_to_financing": "Сертификат переведён в сертификат финансирования",
                "certificates.period_nominals_granted": "Начислены номиналы на период",
                "certificates.left_without_place": "Сертификату не хватило места в квоте периода",
                "certificates.children_imported": "Загружены дети из файла",
                "certificates.child_viewed": "Просмотрена карточка ребёнка",
                "certificates.looked_up": "Должностное лицо искало сертификат по номеру",
                "certificates.application_status_checked": "Запрошен статус заявления на сертификат",
            }
        )
