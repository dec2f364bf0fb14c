"""Who sees which content: everyone what is published; the region's administrators all of the
region's, a municipality's operators their municipality's (content.rules says who edits)."""

from __future__ import annotations

from django.db.models import Q

from pfdo.common.querysets import ScopedQuerySet


def editor_q(user, prefix: str = "") -> Q | None:
    """Q of the rows `user` may edit (None: all; Q(pk__in=[]): none).

    A regional administrator: every row of the region. A municipality's operator: the rows of
    the operator's municipality (not the region-wide ones, municipality empty)."""
    if not user or not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    return Q(**{f"{prefix}region_id__in": user.region_ids_for("regional_admin")}) | Q(
        **{f"{prefix}municipality_id__in": user.municipality_ids_for("operator")}
    )


class ContentQuerySet(ScopedQuerySet):
    """Rows with `region`, optional `municipality` and `is_published`."""

    def published(self):
        return self.filter(is_published=True)

    def of_region(self, region_id: int):
        return self.filter(region_id=region_id)

    def editable_by(self, user):
        q = editor_q(user)
        return self.all() if q is None else self.filter(q)

    def for_user(self, user):
        q = editor_q(user)
        if q is None:
            return self.all()
        return self.filter(Q(is_published=True) | q)


class PortalSettingsQuerySet(ScopedQuerySet):
    """The regional operator's public card: public to everyone."""

    def for_user(self, user):
        return self.all()


class MunicipalityPageQuerySet(ScopedQuerySet):
    """A municipality's public text: public to everyone."""

    def for_user(self, user):
        return self.all()


class ExpertProfileQuerySet(ScopedQuerySet):
    """An expert's public card: everyone sees the published ones; the expert their own; the
    region's administrators the cards shown on their region's portal."""

    def published(self):
        return self.filter(is_public=True)

    def for_user(self, user):
        if not user or not user.is_authenticated:
            return self.published()
        if user.is_superuser:
            return self.all()
        return self.filter(
            Q(is_public=True)
            | Q(user=user)
            | Q(region_id__in=user.region_ids_for("regional_admin"))
        )
