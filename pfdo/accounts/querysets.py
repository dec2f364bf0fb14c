"""Who may see which users and memberships."""

from __future__ import annotations

from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db.models import Q

from pfdo.common.querysets import ScopedQuerySet


def _scope_q(user, prefix: str) -> Q:
    """Rows in the user's administrative scope: operator → municipality, admin → region."""
    return Q(**{f"{prefix}municipality_id__in": user.municipality_ids_for("operator")}) | Q(
        **{f"{prefix}municipality__region_id__in": user.region_ids_for("regional_admin")}
    )


class UserQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        in_scope = self.filter(_scope_q(user, "memberships__")).values("pk")
        return self.filter(Q(pk=user.pk) | Q(pk__in=in_scope))


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class MembershipQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(Q(user=user) | _scope_q(user, ""))
