"""A small world for the tests of old ПФДО programme ids: two municipalities of one region,
an operator of each, programmes in both (one a draft), and old ids far past every own id."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db.models import Max

from pfdo.catalog.models import Program
from pfdo.catalog.tests.factories import DraftProgramFactory, ProgramFactory
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.territory.tests.factories import MunicipalityFactory


@dataclass
class AliasWorld:
    vorkuta: object
    inta: object
    operator: object
    other_operator: object
    programs: list  # three programmes of Vorkuta, the last a draft
    foreign: object  # a programme of Inta
    base: int  # an old id larger than every programme id so far

    def old(self, n: int) -> int:
        return self.base + n


@pytest.fixture
def world(vorkuta, region, operator, make_user) -> AliasWorld:
    inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    provider = ProviderFactory(municipality=vorkuta)
    programs = [
        ProgramFactory(provider=provider, name="Робототехника"),
        ProgramFactory(provider=provider, name="Шахматы"),
        DraftProgramFactory(provider=provider, name="Черновик"),
    ]
    foreign = ProgramFactory(provider=ProviderFactory(municipality=inta), name="Интинская")
    largest = Program.objects.aggregate(largest=Max("id"))["largest"]
    return AliasWorld(
        vorkuta=vorkuta,
        inta=inta,
        operator=operator,
        other_operator=make_user("operator", municipality=inta),
        programs=programs,
        foreign=foreign,
        base=largest + 1000,
    )
