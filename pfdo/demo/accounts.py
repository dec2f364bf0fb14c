"""Demo users: one login per role, with documented passwords (see README)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from pfdo.accounts import services
from pfdo.accounts.models import User
from pfdo.accounts.roles import Role
from pfdo.demo import literals

DEMO_PASSWORD = "vorkuta-demo-2026"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    label: str
    last_name: str
    first_name: str
    patronymic: str = ""


DEMO_LOGINS: list[DemoLogin] = [DemoLogin(**row) for row in literals.load("accounts")["logins"]]


@transaction.atomic
def seed_demo_users(*, region, municipality) -> list[tuple[DemoLogin, User, bool]]:
    """Create the demo logins if missing. Existing users are left as they are."""
    out = []
    for demo in DEMO_LOGINS:
        user = User.objects.filter(username=demo.username).first()
        created = user is None
        if created:
            user, _ = services.create_user(
                actor=None,
                username=demo.username,
                password=DEMO_PASSWORD,
                first_name=demo.first_name,
                last_name=demo.last_name,
                patronymic=demo.patronymic,
                email=f"{demo.username}@demo.pfdo.local",
                municipality=municipality,
            )
            if demo.role == "superuser":
                user.is_superuser = True
                user.is_staff = True
                user.save(update_fields=["is_superuser", "is_staff"])
            elif demo.role == Role.REGIONAL_ADMIN:
                services.grant_role(actor=None, user=user, role=demo.role, region=region)
            elif demo.role == Role.EXPERT:
                services.grant_role(
                    actor=None, user=user, role=demo.role, municipality=municipality
                )
            else:
                services.grant_role(
                    actor=None,
                    user=user,
                    role=demo.role,
                    municipality=municipality,
                    is_provider_admin=demo.role == Role.PROVIDER_STAFF,
                )
        out.append((demo, user, created))
    return out
