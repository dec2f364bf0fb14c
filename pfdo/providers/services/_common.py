"""Helpers shared by the provider registry's use cases: access, the provider's row lock and
the creation of a staff user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pfdo.accounts import services as accounts
from pfdo.accounts.roles import Role
from pfdo.common import authz
from pfdo.common.errors import ValidationFailed
from pfdo.providers.models import Provider, ProviderStaff, forget_staffed_provider_ids

if TYPE_CHECKING:
    from pfdo.providers.services.staff import NewStaff


def authorize(actor, permission: str, obj, message: str) -> None:
    """`authz.authorize` for services; actor None is the system itself (demo seeding,
    management commands)."""
    if actor is not None:
        authz.authorize(actor, permission, obj, message=message)


def lock(provider: Provider) -> Provider:
    """Take the provider's row lock and re-read it, so two decisions cannot cross."""
    list(Provider.objects.select_for_update().filter(pk=provider.pk).values_list("pk"))
    provider.refresh_from_db()
    return provider


def create_staff(
    *, actor, provider: Provider, staff: NewStaff, is_admin: bool, prefix: str
) -> tuple[ProviderStaff, str | None]:
    try:
        user, issued = accounts.create_user(
            actor=actor,
            username=staff.login.strip(),
            password=staff.password,
            first_name=staff.first_name.strip(),
            last_name=staff.last_name.strip(),
            patronymic=staff.patronymic.strip(),
            email=staff.email.strip(),
            phone=staff.phone.strip(),
            municipality=provider.municipality,
        )
    except ValidationFailed as exc:  # a race on the login: same messages, our field names
        names = {"username": f"{prefix}login", "password": f"{prefix}password"}
        raise ValidationFailed(
            exc.message, fields={names.get(k, k): v for k, v in exc.fields.items()}
        ) from exc
    accounts.grant_role(
        actor=actor,
        user=user,
        role=Role.PROVIDER_STAFF,
        municipality=provider.municipality,
        is_provider_admin=is_admin,
    )
    row = ProviderStaff.objects.create(
        provider=provider, user=user, is_admin=is_admin, position=staff.position.strip()
    )
    forget_staffed_provider_ids(user)
    return row, issued
