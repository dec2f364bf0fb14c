"""Read use-cases of accounts."""

from __future__ import annotations

from django.db.models import Count, Q

from pfdo.accounts.models import ApiToken, Membership, User
from pfdo.accounts.tokens import hash_token
from pfdo.common import clock


def user_by_api_token(raw: str) -> tuple[User, ApiToken] | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), expires_at__gt=clock.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user, token


def role_counts_by_municipality(municipality_ids) -> dict[int, dict[str, int]]:
    """{municipality_id: {role: number of active members}} for the given municipalities."""
    rows = (
        Membership.objects.active()
        .filter(municipality_id__in=municipality_ids)
        .values("municipality_id", "role")
        .annotate(n=Count("id"))
    )
    out: dict[int, dict[str, int]] = {}
    for row in rows:
        out.setdefault(row["municipality_id"], {})[row["role"]] = row["n"]
    return out


def users_visible_to(user, *, query: str = ""):
    qs = User.objects.for_user(user).prefetch_related("memberships__municipality")
    if query:
        qs = qs.filter(
            Q(username__icontains=query)
            | Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(email__icontains=query)
        )
    return qs.order_by("last_name", "first_name", "username")


def members_of(municipality_id: int, role: str):
    """Active users holding `role` in the municipality (whom to tell of its decisions)."""
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.active()
        .filter(municipality_id=municipality_id, role=role)
        .values("user_id"),
    ).order_by("pk")
