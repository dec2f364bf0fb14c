"""Who sees which applications and contracts: the family, the provider's staff, officials;
and who reads the record of provider look-ups: the officials."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q

from pfdo.audit.querysets import AppendOnlyQuerySet
from pfdo.common.querysets import ScopedQuerySet


def _scope_q(user, prefix: str = "") -> Q | None:
    """Q of the rows `user` may read (None: all), for rows with child/provider/municipality."""
    if user.is_superuser:
        return None
    guardianship = apps.get_model("certificates", "Guardianship")
    staff = apps.get_model("providers", "ProviderStaff")
    return (
        Q(**{f"{prefix}child_id__in": guardianship.objects.filter(user=user).values("child_id")})
        | Q(
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


class ApplicationQuerySet(_Scoped):
    pass


class ContractQuerySet(_Scoped):
    pass


class ContractMonthQuerySet(_Scoped):
    prefix = "contract__"


class ContinuationOfferQuerySet(_Scoped):
    prefix = "contract__"


class CertificateLookupQuerySet(AppendOnlyQuerySet):
    """The operator's report of provider look-ups: operators their municipality's, regional
    administrators their region's, superusers all. Providers and everyone else: none (the
    outcome tells a known number from an unknown one, which the look-up itself never says)."""

    def for_user(self, user):
        return self._scope(user, own_rows=False)
