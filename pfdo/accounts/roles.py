"""The roles a membership can grant, and the order in which a user's home is chosen."""

from django.db import models


class Role(models.TextChoices):
    PARENT = "parent", "Родитель (законный представитель)"
    PROVIDER_STAFF = "provider_staff", "Сотрудник поставщика"
    OPERATOR = "operator", "Оператор муниципалитета"
    PAYER = "payer", "Уполномоченная организация (плательщик)"
    EXPERT = "expert", "Эксперт"
    REGIONAL_ADMIN = "regional_admin", "Администратор региона"


# Roles whose membership is bound to one municipality.
MUNICIPAL_ROLES = frozenset({Role.PARENT, Role.PROVIDER_STAFF, Role.OPERATOR, Role.PAYER})

# When a user holds several roles, /cabinet/ opens the first of these.
HOME_ORDER = [
    Role.REGIONAL_ADMIN,
    Role.OPERATOR,
    Role.PAYER,
    Role.EXPERT,
    Role.PROVIDER_STAFF,
    Role.PARENT,
]
