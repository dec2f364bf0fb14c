"""Who sees which ledger accounts and transfers; transfers refuse bulk update and delete."""

from __future__ import annotations

from django.db.models import Q

from pfdo.common.querysets import ScopedQuerySet
from pfdo.ledger.errors import AppendOnlyViolation


def _scoped(qs: ScopedQuerySet, user, prefix: str) -> ScopedQuerySet:
    """Rows of the municipalities where `user` is an operator, a payer or the region's admin."""
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs.all()
    return qs.filter(
        Q(**{f"{prefix}municipality_id__in": user.municipality_ids_for("operator", "payer")})
        | Q(**{f"{prefix}municipality__region_id__in": user.region_ids_for("regional_admin")})
    )


class AccountQuerySet(ScopedQuerySet):
    def for_user(self, user):
        # Parents and providers read their money through the statements of their own
        # certificates and contracts, never by listing ledger accounts.
        return _scoped(self, user, "")


class TransferQuerySet(ScopedQuerySet):
    def for_user(self, user):
        # Both accounts of a transfer belong to one municipality (the services refuse others).
        return _scoped(self, user, "debit_account__")

    def update(self, **kwargs):
        raise AppendOnlyViolation("update")

    def delete(self):
        raise AppendOnlyViolation("delete")

    delete.queryset_only = True


class MonthlyTotalQuerySet(ScopedQuerySet):
    def for_user(self, user):
        # Totals of an account are read by whoever reads the account.
        return _scoped(self, user, "account__")
