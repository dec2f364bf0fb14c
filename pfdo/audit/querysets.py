"""Who may read which audit rows: operators their municipality's, admins their region's."""

from __future__ import annotations

from django.db.models import Q

from pfdo.common.querysets import ScopedQuerySet


class AppendOnlyQuerySet(ScopedQuerySet):
    """Bulk update/delete are refused: audit rows are written once and kept."""

    def update(self, **kwargs):
        raise PermissionError("audit rows are append-only")

    def delete(self):
        raise PermissionError("audit rows are append-only")

    def _scope(self, user, *, own_rows: bool) -> ScopedQuerySet:
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        cond = Q(municipality_id__in=user.municipality_ids_for("operator")) | Q(
            municipality__region_id__in=user.region_ids_for("regional_admin")
        )
        if own_rows:
            cond |= Q(actor=user)
        return self.filter(cond)


class ActionLogQuerySet(AppendOnlyQuerySet):
    def for_user(self, user):
        # Everyone sees their own actions (e.g. the logins into their account).
        return self._scope(user, own_rows=True)


class PersonalDataAccessQuerySet(AppendOnlyQuerySet):
    def for_user(self, user):
        return self._scope(user, own_rows=False)
