"""The one thing reports keep of their own: the child population, the denominator of coverage.

Everything else a report shows is read from the apps that own it; only the number of children
living in a municipality, by year and by age, comes from outside (statistics office data the
operator enters or imports from XLSX).
"""

from __future__ import annotations

from django.db import models

from pfdo.common import clock
from pfdo.reports.querysets import ChildPopulationQuerySet

# Ages are whole years on 1 January of the year. "Children aged 5–18" of the announcement are
# those from their 5th birthday up to the 18th (a certificate ends at 18): ages 5..17.
MIN_AGE = 0
MAX_AGE = 18
TARGET_AGES = range(5, 18)


class ChildPopulation(models.Model):
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField("год")
    age = models.PositiveSmallIntegerField("возраст, полных лет")
    children = models.PositiveIntegerField("детей")
    updated_at = models.DateTimeField("изменено", default=clock.now)
    updated_by = models.ForeignKey(
        "accounts.User",
        verbose_name="кто изменил",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ChildPopulationQuerySet.as_manager()

    class Meta:
        verbose_name = "численность детей"
        verbose_name_plural = "численность детей"
        ordering = ["municipality", "year", "age"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "year", "age"], name="reports_population_one_per_age"
            ),
            models.CheckConstraint(
                condition=models.Q(age__gte=MIN_AGE, age__lte=MAX_AGE),
                name="reports_population_age_range",
            ),
            models.CheckConstraint(
                condition=models.Q(children__gte=0), name="reports_population_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(year__gte=2000, year__lte=2100),
                name="reports_population_year_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} · {self.year} · {self.age} лет: {self.children}"
