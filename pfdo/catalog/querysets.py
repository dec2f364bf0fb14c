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
        # Experts assess what is sent to certification (and see what they assessed): in the
        # municipalities of their memberships, or everywhere for an expert bound to none.
        q |= expert_scope(user, prefix) & Q(
            **{f"{prefix}certification_status__in": ["submitted", "certified", "rejected"]}
        )
    return q


def expert_scope(user, prefix: str = "") -> Q:
    """The programmes' municipalities an expert works for (Q() = all of them)."""
    ids = user.municipality_ids_for("expert")
    unbound = any(m.role == "expert" and not m.municipality_id for m in user.active_memberships)
    if unbound or not ids:
        return Q()
    return Q(**{f"{prefix}municipality_id__in": ids})


def _apply(qs, q: Q | None, user):
    """Filter by a visibility Q. Only the signed-in scope joins staff rows (which can repeat
    a programme), so only it needs DISTINCT; the anonymous catalogue stays a plain scan."""
    if q is None:
        return qs.all()
    qs = qs.filter(q)
    return qs.distinct() if user is not None and user.is_authenticated else qs


class ProgramQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = program_visibility(user)
        return _apply(self, q, user)

    def published(self):
        return self.filter(
            is_published=True,
            archived_at__isnull=True,
            provider__status__in=PUBLIC_PROVIDER_STATUSES,
        )

    def of_operator(self, user):
        """Programmes of the municipalities `user` is the operator of (a superuser: all)."""
        if user.is_superuser:
            return self
        return self.filter(municipality_id__in=user.municipality_ids_for("operator"))

    def of_provider_staff(self, user):
        return self.filter(provider__staff__user=user, provider__staff__is_active=True)

    def awaiting_assessment(self, user):
        """Submitted programmes of the expert's municipalities."""
        return self.filter(expert_scope(user), certification_status="submitted", archived_at=None)


class ModuleQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = program_visibility(user, "program__")
        return _apply(self, q, user)


class GroupQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = program_visibility(user, "module__program__")
        return _apply(self, q, user)


class ScheduleEntryQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = program_visibility(user, "group__module__program__")
        return _apply(self, q, user)


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
