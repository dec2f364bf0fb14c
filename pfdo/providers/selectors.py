"""Read use-cases of the provider registry."""

from __future__ import annotations

from django.db.models import Count, Q

from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import BankDetailsChange, EnrolmentLimit, Provider, ProviderStaff


def staff_row_of(user) -> ProviderStaff | None:
    """The user's active place of work (the first, if they work for several providers)."""
    if not user or not user.is_authenticated:
        return None
    return (
        ProviderStaff.objects.filter(user=user, is_active=True)
        .select_related("provider", "provider__municipality")
        .order_by("-is_admin", "created_at", "pk")
        .first()
    )


def registry_for(user):
    """The registry an official keeps: every status, their municipalities only (the page and
    the API narrow it with `filters.ProviderFilter`)."""
    return (
        Provider.objects.for_user(user)
        .in_official_scope(user)
        .select_related("municipality")
        .order_by("status", "short_name", "pk")
    )


def staff_of(provider: Provider):
    return (
        ProviderStaff.objects.filter(provider=provider)
        .select_related("user")
        .order_by("-is_active", "-is_admin", "user__last_name", "user__first_name", "pk")
    )


def enrolment_limits(provider: Provider) -> list[tuple[FinancingPeriod, EnrolmentLimit | None]]:
    """Each approved financing period of the provider's municipality with its limit, if set."""
    periods = FinancingPeriod.objects.filter(
        municipality_id=provider.municipality_id, status=FinancingPeriod.Status.APPROVED
    ).order_by("-starts_on")
    limits = {limit.period_id: limit for limit in provider.enrolment_limits.all()}
    return [(period, limits.get(period.pk)) for period in periods]


def public_registry():
    """The public registry (/providers/): providers in the registry (or being checked), each
    with the number of its published programmes, by name — one query per page whatever the
    number of providers (the page and the API narrow it with `filters.ProviderFilter`)."""
    published = Q(programs__is_published=True, programs__archived_at__isnull=True)
    return (
        Provider.objects.public()
        .select_related("municipality")
        .annotate(published_count=Count("programs", filter=published))
        .order_by("short_name", "pk")
    )


def published_programs(provider: Provider):
    """What the public provider page lists (the catalogue's own rule of publication)."""
    return provider.programs.filter(is_published=True, archived_at__isnull=True).order_by(
        "name", "pk"
    )


def bank_changes_of(provider: Provider):
    """The provider's requests to change its bank details, newest first."""
    return BankDetailsChange.objects.filter(provider=provider).select_related(
        "filed_by", "decided_by"
    )


def bank_change_queue(user, *, status: str | None = "pending"):
    """Requests `user` may see (the operator's queue: pending first, oldest first), with an
    optional status; `status=None` lists every request."""
    rows = BankDetailsChange.objects.for_user(user).select_related(
        "provider", "provider__municipality", "filed_by", "decided_by"
    )
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("filed_at", "pk") if status == "pending" else rows
