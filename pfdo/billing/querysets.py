"""Who sees billing documents: the provider's staff, the municipality's payer and officials."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q

from pfdo.common.querysets import ScopedQuerySet


def _scope_q(user, prefix: str = "") -> Q | None:
    if user.is_superuser:
        return None
    staff = apps.get_model("providers", "ProviderStaff")
    return (
        Q(
            **{
                f"{prefix}provider_id__in": staff.objects.filter(user=user, is_active=True).values(
                    "provider_id"
                )
            }
        )
        | Q(**{f"{prefix}municipality_id__in": user.municipality_ids_for("operator", "payer")})
        | Q(**{f"{prefix}municipality__region_id__in": user.region_ids_for("regional_admin")})
    )


class _Scoped(ScopedQuerySet):
    prefix = ""

    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        q = _scope_q(user, self.prefix)
        return self.all() if q is None else self.filter(q)


class DocumentQuerySet(_Scoped):
    pass


class LineQuerySet(_Scoped):
    prefix = "invoice__"


class AdvanceLineQuerySet(_Scoped):
    prefix = "request__"


class PaymentQuerySet(_Scoped):
    pass


class LessonQuerySet(_Scoped):
    prefix = "group__module__program__"


class AttendanceQuerySet(_Scoped):
    """Staff and officials by the contract; a parent sees the marks of their own children."""

    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        guardianship = apps.get_model("certificates", "Guardianship")
        q = _scope_q(user, "contract__") | Q(
            contract__child_id__in=guardianship.objects.filter(user=user).values("child_id")
        )
        return self.filter(q)


class PeriodClosingQuerySet(ScopedQuerySet):
    """Officials and the payer of the period's municipality, the region's administrator."""

    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            Q(period__municipality_id__in=user.municipality_ids_for("operator", "payer"))
            | Q(period__municipality__region_id__in=user.region_ids_for("regional_admin"))
        )
