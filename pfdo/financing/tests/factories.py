"""Factories of financing periods and nominal categories."""

import datetime as dt

import factory

from pfdo.financing.models import FinancingPeriod, NominalCategory
from pfdo.territory.tests.factories import MunicipalityFactory


class FinancingPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FinancingPeriod

    municipality = factory.SubFactory(MunicipalityFactory)
    name = "ПФДО 2026/27"
    starts_on = dt.date(2026, 9, 1)
    ends_on = dt.date(2027, 8, 31)
    status = FinancingPeriod.Status.APPROVED
    certificate_quota = 100
    budget_kopecks = 100 * 2_417_100
    base_technical_kopecks = 15000
    base_natural_science_kopecks = 14000
    base_sports_kopecks = 12000
    base_arts_kopecks = 13000
    base_tourism_kopecks = 12500
    base_social_kopecks = 11000


class NominalCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NominalCategory

    period = factory.SubFactory(FinancingPeriodFactory)
    name = factory.Sequence(lambda n: f"Дети 5–18 лет ({n})")
    age_from_months = 60
    age_to_months = 216
    nominal_kopecks = 2_417_100
