"""Who sees which programmes: the public sees published ones of registry providers;
provider staff their own; experts what is submitted to them; officials their municipality's."""

from __future__ import annotations

from django.db.models import Q

from pfdo.common.querysets import ScopedQuerySet

PUBLIC_PROVIDER_STATUSES = ("active", "needs_check")


def program_visibility(user, prefix: str = "") -> Q | None:
    """Q of the programmes `user` may read (None: all)."""
    public = Q(
        **{
            f"{prefix}is_published": True,
            f"{prefix}archived_at__isnull": True,
            f"{prefix}provider__status__in": PUBLIC_PROVIDER_STATUSES,
        }
    )
    if not user or not user.is_authenticated:
        return public
    if user.is_superuser:
        return None
    q = (
        public
        | Q(**{f"{prefix}provider__staff__user": user, f"{prefix}provider__staff__is_active": True})
        | Q(**{f"{prefix}municipality_id__in": user.municipality_ids_for("operator", "payer")})
        | Q(**{f"{prefix}municipality__region_id__in": user.region_ids_for("regional_admin")})
    )
    if user.has_role("expert"):
        # Experts assess what is sent to certification (and see what they assessed).
        q |= Q(**{f"{prefix}certification_status__in": ["submitted", "certified", "rejected"]})
    return q


class ProgramQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = program_visibility(user)
        return self.all() if q is None else self.filter(q).distinct()

    def published(self):
        return self.filter(
            is_published=True,
            archived_at__isnull=True,
            provider__status__in=PUBLIC_PROVIDER_STATUSES,
        )

    def of_provider_staff(self, user):
        return self.filter(provider__staff__user=user, provider__staff__is_active=True)


class ModuleQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = program_visibility(user, "program__")
        return self.all() if q is None else self.filter(q).distinct()


class GroupQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = program_visibility(user, "module__program__")
        return self.all() if q is None else self.filter(q).distinct()


class ScheduleEntryQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = program_visibility(user, "group__module__program__")
        return self.all() if q is None else self.filter(q).distinct()


class AssessmentQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            Q(expert=user)
            | Q(program__provider__staff__user=user, program__provider__staff__is_active=True)
            | Q(program__municipality_id__in=user.municipality_ids_for("operator"))
            | Q(program__municipality__region_id__in=user.region_ids_for("regional_admin"))
        ).distinct()
