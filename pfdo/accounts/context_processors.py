"""Navigation of the page shell: what the signed-in user's roles may open."""

from __future__ import annotations

from django.urls import reverse

from pfdo.accounts.models import Notification
from pfdo.accounts.roles import HOME_ORDER, Role

_ROLE_HOME = {
    Role.PARENT: ("accounts:home_parent", "Кабинет родителя"),
    Role.PROVIDER_STAFF: ("accounts:home_provider", "Кабинет поставщика"),
    Role.OPERATOR: ("accounts:home_operator", "Кабинет оператора"),
    Role.PAYER: ("accounts:home_payer", "Кабинет плательщика"),
    Role.EXPERT: ("accounts:home_expert", "Кабинет эксперта"),
    Role.REGIONAL_ADMIN: ("accounts:home_region", "Кабинет региона"),
}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items: list[tuple[str, str]] = []
    roles = user.roles
    for role in HOME_ORDER:
        if role in roles:
            url_name, label = _ROLE_HOME[role]
            items.append((reverse(url_name), label))
    if user.is_superuser:
        items.append((reverse("accounts:home_admin"), "Администрирование"))
    official = user.is_superuser or bool(roles & {Role.OPERATOR, Role.REGIONAL_ADMIN})
    if Role.PARENT in roles:
        items.append((reverse("family:home"), "Мои дети"))
        items.append((reverse("enrolment:parent_list"), "Заявки и договоры"))
        items.append((reverse("ratings:family_list"), "Мои оценки"))
    if Role.PROVIDER_STAFF in roles:
        items.append((reverse("providers:organisation"), "Моя организация"))
        items.append((reverse("catalog_manage:my_programs"), "Мои программы"))
        items.append((reverse("enrolment:provider_applications"), "Заявки на зачисление"))
        items.append((reverse("enrolment:provider_contracts"), "Договоры"))
        items.append((reverse("enrolment:provider_enrol"), "Записать по сертификату"))
        items.append((reverse("billing:provider_billing"), "Оплата услуг"))
        items.append((reverse("ratings:provider_list"), "Отзывы"))
    if Role.EXPERT in roles:
        items.append((reverse("catalog_manage:expert_queue"), "Сертификация"))
        items.append((reverse("content:expert_profile"), "Публичная карточка эксперта"))
    if official or Role.PAYER in roles:
        items.append((reverse("financing:period_list"), "Периоды финансирования"))
        items.append((reverse("billing:official_overview"), "Расчёты с поставщиками"))
        items.append((reverse("financing:calendar"), "Производственный календарь"))
    if official:
        items.append((reverse("reports:home"), "Показатели"))
        items.append((reverse("certificates:queue"), "Заявления на сертификаты"))
        items.append((reverse("certificates:registry"), "Сертификаты"))
        items.append((reverse("enrolment:operator_contracts"), "Договоры"))
        items.append((reverse("enrolment:operator_lookups"), "Поиски сертификатов"))
        items.append((reverse("providers:registry"), "Поставщики"))
        items.append((reverse("providers:bank_queue"), "Смена реквизитов"))
        items.append((reverse("catalog_manage:operator_programs"), "Программы"))
    if user.is_superuser or Role.OPERATOR in roles:
        items.append((reverse("compat:aliases_home"), "Номера программ из ПФДО"))
    if official:
        items.append((reverse("ratings:moderation"), "Отзывы"))
        items.append((reverse("content:manage"), "Материалы портала"))
        items.append((reverse("accounts:user_list"), "Пользователи"))
        items.append((reverse("audit:action_list"), "Журнал действий"))
    unread = Notification.objects.for_user(user).unread().count()
    items.append(
        (reverse("accounts:notifications"), f"Уведомления ({unread})" if unread else "Уведомления")
    )
    return {"nav_items": items}
