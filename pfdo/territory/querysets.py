"""Territories are public reference data."""

from pfdo.common.querysets import PublicQuerySet


class RegionQuerySet(PublicQuerySet):
    pass


class MunicipalityQuerySet(PublicQuerySet):
    def active(self):
        return self.filter(is_active=True)
