"""Factories of regions and municipalities."""

import factory

from pfdo.territory.models import Municipality, Region


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"region-{n}")
    name = factory.Sequence(lambda n: f"Регион {n}")
    okato = factory.Sequence(lambda n: f"{n % 90 + 10}")


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("code",)

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"mun-{n}")
    name = factory.Sequence(lambda n: f"Муниципалитет {n}")
    kind = Municipality.Kind.URBAN_DISTRICT
    number = factory.Sequence(lambda n: n % 89 + 10)  # 1-9 are left for named fixtures
