"""Old programme ids are public (they are in old portals' links); officials manage their own."""

from __future__ import annotations

from pfdo.common.querysets import ScopedQuerySet


class ProgramAliasQuerySet(ScopedQuerySet):
    def for_user(self, user):
        return self.all()

    def managed_by(self, user):
        """Aliases of programmes of the municipalities `user` is the operator of."""
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(program__municipality_id__in=user.municipality_ids_for("operator"))


class EnrolmentVerificationQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Reports of unknown enrolments: to the operators of the municipality of the
        contracts (who may see those contracts), nobody else; the public reaches a check
        only by its token, through the service."""
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(municipality_id__in=user.municipality_ids_for("operator"))

    def live(self, now):
        return self.filter(expires_at__gt=now)
