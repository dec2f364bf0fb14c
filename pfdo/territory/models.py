"""Regions and municipalities, each with a short code used in URLs and commands."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from pfdo.common.api.query import CODE_MESSAGE, CODE_PATTERN
from pfdo.territory.querysets import MunicipalityQuerySet, RegionQuerySet

# The one rule of a region's or municipality's code, which the API's query parameters declare.
code_validator = RegexValidator(CODE_PATTERN, CODE_MESSAGE)


class Region(models.Model):
    code = models.CharField("код", max_length=40, unique=True, validators=[code_validator])
    name = models.CharField("название", max_length=200)
    okato = models.CharField(
        "код субъекта", max_length=2, blank=True, help_text="Две цифры; начало номера сертификата"
    )

    objects = RegionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "регион"
        verbose_name_plural = "регионы"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    class Kind(models.TextChoices):
        URBAN_DISTRICT = "urban_district", "городской округ"
        MUNICIPAL_DISTRICT = "municipal_district", "муниципальный район"
        MUNICIPAL_OKRUG = "municipal_okrug", "муниципальный округ"

    region = models.ForeignKey(
        Region, verbose_name="регион", on_delete=models.PROTECT, related_name="municipalities"
    )
    code = models.CharField("код", max_length=40, unique=True, validators=[code_validator])
    name = models.CharField("название", max_length=200)
    official_name = models.CharField("официальное название", max_length=300, blank=True)
    kind = models.CharField("вид", max_length=32, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(
        "номер в регионе", help_text="Две цифры в номере сертификата после кода региона"
    )
    is_active = models.BooleanField("подключён к системе", default=True)

    objects = MunicipalityQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "муниципалитет"
        verbose_name_plural = "муниципалитеты"
        ordering = ["region__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "number"], name="territory_municipality_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1, number__lte=99),
                name="territory_municipality_number_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name
