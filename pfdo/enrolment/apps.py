"""App config of enrolment: applications to groups, waitlists and contracts."""

from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "pfdo.enrolment"
    label = "enrolment"
    verbose_name = "Зачисление и договоры"

    def ready(self) -> None:
        from pfdo.audit import labels
        from pfdo.catalog import selectors as catalog
        from pfdo.certificates import services as certificates
        from pfdo.enrolment import services
        from pfdo.providers import services as providers

        # A certificate that ends, or a provider excluded, ends what hangs on it here
        # (services/endings.py); the lower apps call these hooks inside their transaction.
        certificates.certificate_ending.connect(services.end_certificate_contracts)
        providers.provider_excluded.connect(services.end_provider_enrolments)
        # The programme page shows the same terms as the enrolment's terms page.
        catalog.family_group_terms.connect(services.family_group_terms)

        labels.register(
            {
                "enrolment.applied": "Подана заявка на зачисление",
                "enrolment.rejected": "Заявка на зачисление отклонена",
                "enrolment.cancelled": "Заявка на зачисление отозвана родителем",
                "enrolment.code_failed": "Код подтверждения записи не принят",
                "enrolment.code_voided": "Код подтверждения записи аннулирован",
                "enrolment.expired": "Заявка на зачисление истекла",
                "enrolment.contract_offered": "Предложен договор",
                "enrolment.contract_accepted": "Договор заключён, средства зарезервированы",
                "enrolment.contract_declined": "Родитель отказался от договора",
                "enrolment.offer_expired": "Истёк срок принятия договора",
                "enrolment.contract_terminated": "Договор расторгнут",
                "enrolment.contract_completed": "Договор завершён",
                "enrolment.contract_continued": "Договор продолжен в новом периоде",
                "enrolment.exclusion_settled": "Семьи извещены о договорах исключённого поставщика",
                "enrolment.continuation_offered": "Семье предложено продолжить договор на новых условиях",
                "enrolment.continuation_declined": "Семья отказалась продолжить договор",
                "enrolment.continuation_expired": "Согласие на продолжение договора не получено в срок",
                "enrolment.enrolment_checked": "Публичная проверка зачисления ребёнка",
            }
        )
