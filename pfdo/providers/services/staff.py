"""Staff of a provider: new staff users, existing users attached, staff switched off."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pfdo.accounts import services as accounts
from pfdo.accounts.models import Membership, User
from pfdo.accounts.roles import Role
from pfdo.audit import services as audit
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.transactions import atomic_retry
from pfdo.providers.models import Provider, ProviderStaff, forget_staffed_provider_ids
from pfdo.providers.services._common import authorize, create_staff, lock
from pfdo.providers.services.validation import LOGIN_TAKEN, only_error, staff_errors

Status = Provider.Status


@dataclass(frozen=True)
class NewStaff:
    """A person to become provider staff. Without `password` a one-time one is issued."""

    login: str
    last_name: str
    first_name: str
    patronymic: str = ""
    email: str = ""
    phone: str = ""
    position: str = ""
    password: str | None = None


@atomic_retry
def add_staff(
    *, actor, provider: Provider, staff: NewStaff, is_admin: bool = False
) -> tuple[ProviderStaff, str | None]:
    """A new staff user with a one-time password (returned once, changed at first login)."""
    authorize(
        actor,
        "providers.manage_staff",
        provider,
        "Сотрудников добавляет администратор организации.",
    )
    provider = lock(provider)
    if provider.status in (Status.REJECTED, Status.EXCLUDED):
        raise Conflict(
            f"Поставщик {provider.get_status_display()}: новых сотрудников добавить нельзя.",
            code="invalid_status",
        )
    staff = dataclasses.replace(staff, password=None)  # always issued, never chosen here
    errors = staff_errors(staff, prefix="", require_email=False)
    if only_error(errors, "login", LOGIN_TAKEN):
        raise Conflict(LOGIN_TAKEN, code="login_taken", fields=errors)
    if errors:
        raise ValidationFailed(fields=errors)
    row, issued = create_staff(
        actor=actor, provider=provider, staff=staff, is_admin=is_admin, prefix=""
    )
    audit.record(
        actor=actor,
        action="providers.staff_added",
        obj=provider,
        municipality=provider.municipality,
        details={"login": row.user.username, "is_admin": is_admin, "staff_id": row.pk},
    )
    return row, issued


@atomic_retry
def attach_existing_user(
    *, actor, provider: Provider, user: User, is_admin: bool = False
) -> ProviderStaff:
    """Make an existing user staff of the provider (demo logins, support). Idempotent."""
    authorize(
        actor,
        "providers.manage_staff",
        provider,
        "Сотрудников добавляет администратор организации.",
    )
    row, created = ProviderStaff.objects.get_or_create(
        provider=provider, user=user, defaults={"is_admin": is_admin}
    )
    if not created and row.is_active and row.is_admin == is_admin:
        return row
    row.is_active, row.is_admin = True, is_admin
    row.save(update_fields=["is_active", "is_admin"])
    forget_staffed_provider_ids(user)
    accounts.grant_role(
        actor=actor,
        user=user,
        role=Role.PROVIDER_STAFF,
        municipality=provider.municipality,
        is_provider_admin=is_admin,
    )
    audit.record(
        actor=actor,
        action="providers.staff_added",
        obj=provider,
        municipality=provider.municipality,
        details={"login": user.username, "is_admin": is_admin, "staff_id": row.pk},
    )
    return row


@atomic_retry
def deactivate_staff(*, actor, staff: ProviderStaff) -> ProviderStaff:
    """The person stops working for the provider and loses the staff role there."""
    provider = staff.provider
    authorize(
        actor,
        "providers.manage_staff",
        provider,
        "Сотрудников отключает администратор организации.",
    )
    lock(provider)
    staff.refresh_from_db()
    if not staff.is_active:
        raise Conflict("Сотрудник уже отключён.", code="invalid_status")
    if actor is not None and staff.user_id == actor.pk:
        raise Conflict(
            "Нельзя отключить самого себя: попросите другого администратора.", code="self_action"
        )
    other_admins = provider.staff.filter(is_admin=True, is_active=True).exclude(pk=staff.pk)
    if staff.is_admin and not other_admins.exists():
        raise Conflict("Нельзя отключить последнего администратора организации.")
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    forget_staffed_provider_ids(staff.user)
    still_staff_here = ProviderStaff.objects.filter(
        user=staff.user, is_active=True, provider__municipality=provider.municipality
    ).exists()
    if not still_staff_here:
        membership = Membership.objects.filter(
            user=staff.user,
            role=Role.PROVIDER_STAFF,
            municipality=provider.municipality,
            is_active=True,
        ).first()
        if membership is not None:
            accounts.revoke_role(actor=actor, membership=membership)
    audit.record(
        actor=actor,
        action="providers.staff_deactivated",
        obj=provider,
        municipality=provider.municipality,
        details={"login": staff.user.username, "staff_id": staff.pk},
    )
    return staff
