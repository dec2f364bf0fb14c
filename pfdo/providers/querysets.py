"""Who sees which providers: the public sees active ones; staff their own; officials theirs."""

from __future__ import annotations

import re

from django.db import connections
from django.db.models import Exists, OuterRef, Q

from pfdo.common.querysets import ScopedQuerySet

PUBLIC_STATUSES = ("active", "needs_check")


def provider_visibility(user, prefix: str = "") -> Q | None:
    """Q of the providers `user` may read (None: all)."""
    public = Q(**{f"{prefix}status__in": PUBLIC_STATUSES})
    if not user or not user.is_authenticated:
        return public
    if user.is_superuser:
        return None
    return (
        public
        | Q(**{f"{prefix}staff__user": user, f"{prefix}staff__is_active": True})
        | Q(**{f"{prefix}municipality_id__in": user.municipality_ids_for("operator", "payer")})
        | Q(**{f"{prefix}municipality__region_id__in": user.region_ids_for("regional_admin")})
    )


class ProviderQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = provider_visibility(user)
        return self.all() if q is None else self.filter(q).distinct()

    def search(self, query: str):
        """By name or ИНН. The case variants help SQLite, whose LIKE ignores case only in ASCII."""
        query = (query or "").strip()
        if not query:
            return self
        variants = {query, query.lower(), query.capitalize(), query.upper()}
        q = Q(inn__startswith=query) | Q(ogrn__startswith=query)
        for variant in variants:
            q |= Q(short_name__icontains=variant) | Q(full_name__icontains=variant)
        return self.filter(q)

    def search_name(self, query: str):
        """By a part of the short or full name only (the public registry's search), whatever
        the case: ILIKE on PostgreSQL; on SQLite, whose LIKE folds ASCII only, a regular
        expression (Django runs it through Python's `re`, which folds Cyrillic), where "е"
        also finds "ё"."""
        query = " ".join((query or "").split()).lower()
        if not query:
            return self
        if connections[self.db].vendor == "postgresql":
            return self.filter(Q(short_name__icontains=query) | Q(full_name__icontains=query))
        pattern = "".join("[её]" if ch in "её" else re.escape(ch) for ch in query)
        return self.filter(Q(short_name__iregex=pattern) | Q(full_name__iregex=pattern))

    def teaching(self, direction: str):
        """Providers with a published programme of this direction. The catalogue sits above
        the providers (it may not be imported here): its model is reached through the
        relation, and its rule of publication is the one `selectors.published_programs`
        applies on the provider's page."""
        programs = self.model._meta.get_field("programs").related_model
        return self.filter(
            Exists(
                programs.objects.filter(
                    provider=OuterRef("pk"),
                    direction=direction,
                    is_published=True,
                    archived_at__isnull=True,
                )
            )
        )

    def in_official_scope(self, user):
        """Providers whose registry `user` keeps: operator's municipality, admin's region."""
        if user.is_superuser:
            return self
        return self.filter(
            Q(municipality_id__in=user.municipality_ids_for("operator"))
            | Q(municipality__region_id__in=user.region_ids_for("regional_admin"))
        )

    def public(self):
        return self.filter(status__in=PUBLIC_STATUSES)

    def staffed_by(self, user):
        return self.filter(staff__user=user, staff__is_active=True)


class ProviderStaffQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            Q(user=user)
            | Q(
                provider__staff__user=user,
                provider__staff__is_admin=True,
                provider__staff__is_active=True,
            )
            | Q(provider__municipality_id__in=user.municipality_ids_for("operator"))
            | Q(provider__municipality__region_id__in=user.region_ids_for("regional_admin"))
        ).distinct()


class EnrolmentLimitQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = provider_visibility(user, "provider__")
        if not user or not user.is_authenticated:
            return self.none()
        return self.all() if q is None else self.filter(q).distinct()


class BankDetailsChangeQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """The provider's admins, and the officials and payer of its municipality (the payer
        pays to the account, so it sees what changed it)."""
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            Q(
                provider__staff__user=user,
                provider__staff__is_admin=True,
                provider__staff__is_active=True,
            )
            | Q(provider__municipality_id__in=user.municipality_ids_for("operator", "payer"))
            | Q(provider__municipality__region_id__in=user.region_ids_for("regional_admin"))
        ).distinct()

    def pending(self):
        return self.filter(status="pending")
