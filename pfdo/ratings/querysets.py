"""Who sees which ratings: the family its own, the provider its programmes', officials their
municipality's, everyone the published reviews of published programmes."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q

from pfdo.common.querysets import ScopedQuerySet

PUBLIC_Q = Q(text_status="published", program__is_published=True)


def _scope_q(user, prefix: str = "") -> Q | None:
    """Q of the ratings `user` may read (None: all)."""
    public = Q(**{f"{prefix}{key}": value for key, value in PUBLIC_Q.children})
    if not user or not user.is_authenticated:
        return public
    if user.is_superuser:
        return None
    guardianship = apps.get_model("certificates", "Guardianship")
    staff = apps.get_model("providers", "ProviderStaff")
    return (
        public
        | Q(
            **{
                f"{prefix}contract__child_id__in": guardianship.objects.filter(user=user).values(
                    "child_id"
                )
            }
        )
        | Q(
            **{
                f"{prefix}provider_id__in": staff.objects.filter(user=user, is_active=True).values(
                    "provider_id"
                )
            }
        )
        | Q(**{f"{prefix}municipality_id__in": user.municipality_ids_for("operator")})
        | Q(**{f"{prefix}municipality__region_id__in": user.region_ids_for("regional_admin")})
    )


class RatingQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = _scope_q(user)
        return self.all() if q is None else self.filter(q)

    def public(self):
        """The reviews anyone may read: a published text of a published programme."""
        return self.filter(PUBLIC_Q)


class ReplyQuerySet(ScopedQuerySet):
    def for_user(self, user):
        q = _scope_q(user, "rating__")
        return self.all() if q is None else self.filter(q)
