"""An application naming an ИНН the municipality's registry already holds: the flag the
operator sees and the letter to the organisation on file (the one-click rejection is
`registry.reject_duplicate`).

The public form answers it as any other (issue 13): a second row is filed, flagged, and the
registry's uniqueness of the ИНН skips flagged rows, so nothing about the organisation on file
reaches the applicant.
"""

from __future__ import annotations

from pfdo.accounts import services as accounts
from pfdo.providers.models import Provider, ProviderStaff

# What the applicant of a rejected duplicate reads: neutral, it names nobody.
DUPLICATE_REJECTION = (
    "Заявка отклонена по итогам проверки сведений об организации. Если вы считаете это "
    "ошибкой, обратитесь к оператору муниципалитета."
)


def provider_on_file(municipality, inn: str) -> Provider | None:
    """The organisation of the municipality's registry with this ИНН (a flagged duplicate
    only if nothing else holds it)."""
    if not inn:
        return None
    same = Provider.objects.filter(municipality=municipality, inn=inn)
    return same.filter(duplicate_reason="").first() or same.order_by("applied_at", "pk").first()


def duplicate_reason(existing: Provider) -> str:
    """For the operator: who already holds the ИНН."""
    return (
        f"ИНН {existing.inn} уже у поставщика «{existing.short_name}» "
        f"({existing.get_status_display()}, заявка от {existing.applied_at:%d.%m.%Y})"
    )[:300]


def tell_provider_on_file(existing: Provider) -> None:
    """The organisation's admins (cabinet and e-mail) and the card's e-mail learn that someone
    applied with their ИНН; the letters go through the outbox after the commit."""
    subject = "Подана заявка на включение в реестр с ИНН вашей организации"
    body = (
        f"В муниципалитете {existing.municipality.name} подана заявка на включение в реестр "
        f"поставщиков с ИНН {existing.inn} — это ИНН вашей организации "
        f"«{existing.short_name}». Вторая запись организации в реестре не создаётся: заявку "
        "проверит оператор муниципалитета.\n\n"
        "Если заявку подали вы или ваш сотрудник, войдите в личный кабинет организации "
        "(забыли пароль — восстановите его на странице входа); если организации отказали во "
        "включении, исправьте карточку и подайте заявку повторно из кабинета.\n\n"
        "Если вы заявку не подавали, сообщите об этом оператору муниципалитета."
    )
    admins = [
        row.user
        for row in ProviderStaff.objects.filter(
            provider=existing, is_admin=True, is_active=True, user__is_active=True
        ).select_related("user")
    ]
    for user in admins:
        accounts.notify(user=user, subject=subject, body=body)
    told = {u.email.strip().lower() for u in admins if u.email}
    card = (existing.email or "").strip()
    if card and card.lower() not in told:
        accounts.mail_to_address(email=card, subject=subject, body=body)
