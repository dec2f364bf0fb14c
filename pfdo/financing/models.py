"""A municipality's financing period (программа ПФ на период) and its nominal categories.

Every number of domain.md §3, §5, §6 is a field here, never a constant in code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django_fsm import transition
from simple_history.models import HistoricalRecords

from pfdo.common import clock
from pfdo.common.choices import Direction
from pfdo.common.fsm import StateField
from pfdo.common.querysets import PublicQuerySet
from pfdo.financing.querysets import FinancingPeriodQuerySet, NominalCategoryQuerySet


def _coefficient(label: str, default: str = "1.000") -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=6,
        decimal_places=3,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0.001"))],
    )


def _base_cost(label: str) -> models.BigIntegerField:
    return models.BigIntegerField(
        f"базовый норматив: {label}, коп. за чел.-час",
        default=0,
        validators=[MinValueValidator(0)],
    )


class FinancingPeriod(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "черновик"
        APPROVED = "approved", "утверждена"
        CLOSED = "closed", "закрыта"

    class BillingBasis(models.TextChoices):
        CONTRACT_MONTHS = "contract_months", "по месяцам договора"
        ATTENDED_HOURS = "attended_hours", "по посещённым часам"

    class BoundaryMonthRule(models.TextChoices):
        FULL = "full", "полный месяц, если договор действовал хотя бы день"
        PRO_RATA_DAYS = "pro_rata_days", "пропорционально дням"
        PRO_RATA_LESSONS = "pro_rata_lessons", "пропорционально занятиям по расписанию"

    # Of MONEY_FIELDS, those amendable once contracts exist: raised freely, lowered only down
    # to what the period has already committed (services.update_period).
    AMENDABLE_FIELDS = ("budget_kopecks", "certificate_quota")
    # Fields that change money already promised once contracts exist (see services).
    MONEY_FIELDS = (
        "starts_on",
        "ends_on",
        "budget_kopecks",
        "certificate_quota",
        "scale_nominal_by_months",
        "billing_basis",
        "boundary_month_rule",
        "advance_share_percent",
    )

    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        on_delete=models.PROTECT,
        related_name="financing_periods",
    )
    name = models.CharField("название", max_length=200)
    starts_on = models.DateField("начало периода")
    ends_on = models.DateField("окончание периода")
    status = StateField("статус", default=Status.DRAFT, choices=Status.choices, protected=False)

    certificate_quota = models.PositiveIntegerField(
        "число сертификатов финансирования (квота)", default=0
    )
    budget_kopecks = models.BigIntegerField(
        "объём обеспечения, коп.", default=0, validators=[MinValueValidator(0)]
    )
    scale_nominal_by_months = models.BooleanField(
        "уменьшать номинал пропорционально оставшимся месяцам", default=True
    )
    accounting_program_limit = models.PositiveSmallIntegerField(
        "число бюджетных программ для сертификата учёта", default=2
    )

    billing_basis = models.CharField(
        "основание оплаты",
        max_length=32,
        choices=BillingBasis.choices,
        default=BillingBasis.CONTRACT_MONTHS,
    )
    boundary_month_rule = models.CharField(
        "первый и последний месяц договора",
        max_length=32,
        choices=BoundaryMonthRule.choices,
        default=BoundaryMonthRule.FULL,
    )
    advance_share_percent = models.PositiveSmallIntegerField(
        "доля аванса, %", default=80, validators=[MaxValueValidator(100)]
    )
    advance_from_working_day = models.PositiveSmallIntegerField(
        "аванс подаётся с рабочего дня месяца", default=2, validators=[MinValueValidator(1)]
    )
    payment_term_working_days = models.PositiveSmallIntegerField(
        "срок оплаты, рабочих дней", default=5
    )
    decision_days = models.PositiveSmallIntegerField(
        "срок решения поставщика по заявке, дней",
        default=3,
        help_text="Не решённая за этот срок заявка на зачисление истекает, место освобождается.",
    )
    offer_days = models.PositiveSmallIntegerField(
        "срок принятия договора родителем, дней",
        default=3,
        help_text="Предложение договора (и места из листа ожидания) истекает через этот срок.",
    )
    freeze_days = models.PositiveSmallIntegerField(
        "заморозка в конце периода, дней",
        default=0,
        help_text="Последние дни периода новые договоры не заключаются (закрытие периода).",
    )
    december_invoice_in_december = models.BooleanField(
        "счёт за декабрь подаётся в декабре", default=True
    )

    base_technical_kopecks = _base_cost("техническая")
    base_natural_science_kopecks = _base_cost("естественнонаучная")
    base_sports_kopecks = _base_cost("физкультурно-спортивная")
    base_arts_kopecks = _base_cost("художественная")
    base_tourism_kopecks = _base_cost("туристско-краеведческая")
    base_social_kopecks = _base_cost("социально-гуманитарная")

    k_form_full_time = _coefficient("k: очная форма")
    k_form_mixed = _coefficient("k: очно-заочная форма")
    k_form_distance = _coefficient("k: заочная форма")
    k_org_municipal = _coefficient("k: муниципальная организация")
    k_org_state = _coefficient("k: государственная организация")
    k_org_ngo = _coefficient("k: некоммерческая организация")
    k_org_company = _coefficient("k: коммерческая организация")
    k_org_ip = _coefficient("k: индивидуальный предприниматель")
    k_disability = _coefficient("k: адаптированная программа для детей с ОВЗ")
    k_network = _coefficient("k: сетевая форма")
    k_qualification_highest = _coefficient("k: педагог высшей категории")
    k_qualification_first = _coefficient("k: педагог первой категории")
    k_qualification_none = _coefficient("k: педагог без категории")
    k_north = _coefficient("k: районный коэффициент и северная надбавка")

    commitments_started_at = models.DateTimeField(
        "первый договор заключён",
        null=True,
        blank=True,
        help_text="С этого момента поля, меняющие обещанные деньги, закрыты для правки.",
    )
    created_at = models.DateTimeField("создана", default=clock.now)

    objects = FinancingPeriodQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "программа ПФ на период"
        verbose_name_plural = "программы ПФ на период"
        ordering = ["municipality", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")),
                name="financing_period_dates_ordered",
                violation_error_message="Окончание периода должно быть позже начала.",
            ),
            models.CheckConstraint(
                condition=Q(budget_kopecks__gte=0), name="financing_period_budget_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(advance_share_percent__lte=100),
                name="financing_period_advance_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.municipality})"

    @property
    def is_locked(self) -> bool:
        """Money has been promised in this period: MONEY_FIELDS may no longer change, except
        AMENDABLE_FIELDS within what is committed."""
        return self.commitments_started_at is not None

    def frozen_from(self):
        """The first day of the closing freeze (no issuance, no new contracts), or None."""
        if not self.freeze_days:
            return None
        return self.ends_on - dt.timedelta(days=self.freeze_days - 1)

    def is_frozen(self, day) -> bool:
        start = self.frozen_from()
        return start is not None and start <= day

    def base_cost_kopecks(self, direction: str) -> int:
        return getattr(self, f"base_{Direction(direction).value}_kopecks")

    @transition(field=status, source=Status.DRAFT, target=Status.APPROVED)
    def approve(self) -> None:
        """Guarded by services.approve_period (completeness, overlap)."""

    @transition(field=status, source=Status.APPROVED, target=Status.CLOSED)
    def close(self) -> None:
        """Period close belongs to billing (a later issue)."""


class NominalCategory(models.Model):
    """A nominal for a category of children: an age band and/or a status such as ОВЗ."""

    period = models.ForeignKey(
        FinancingPeriod, on_delete=models.CASCADE, related_name="nominal_categories"
    )
    name = models.CharField("категория", max_length=200)
    age_from_months = models.PositiveSmallIntegerField("возраст от, мес.", default=60)
    age_to_months = models.PositiveSmallIntegerField("возраст до (не включая), мес.", default=216)
    disability_only = models.BooleanField("только для детей с ОВЗ", default=False)
    nominal_kopecks = models.BigIntegerField(
        "номинал на период, коп.", validators=[MinValueValidator(0)]
    )

    objects = NominalCategoryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "категория номинала"
        verbose_name_plural = "категории номинала"
        ordering = ["period", "age_from_months", "disability_only"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "name"], name="financing_category_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(age_to_months__gt=F("age_from_months")),
                name="financing_category_age_ordered",
                violation_error_message="Верхняя граница возраста должна быть больше нижней.",
            ),
            models.CheckConstraint(
                condition=Q(nominal_kopecks__gte=0), name="financing_category_nominal_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """An override of the production calendar for one day of a region.

    The package's Russian calendar (pfdo.common.calendar) knows the public holidays and the
    yearly transfers; an override records what it does not know yet (a new year's decree, a
    regional day off) or gets wrong, and wins over it. Region-wide: the transfers are federal
    and every municipality of the region bills by the same calendar, so its regional
    administrator keeps one table that everyone reads.
    """

    region = models.ForeignKey(
        "territory.Region",
        verbose_name="регион",
        on_delete=models.CASCADE,
        related_name="calendar_days",
    )
    day = models.DateField("дата")
    is_working = models.BooleanField(
        "рабочий день", help_text="Отмечено — рабочий день (перенос на субботу), иначе выходной."
    )
    note = models.CharField("основание", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="внёс",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("внесено", default=clock.now)

    objects = PublicQuerySet.as_manager()

    class Meta:
        verbose_name = "день производственного календаря"
        verbose_name_plural = "дни производственного календаря"
        ordering = ["region", "day"]
        constraints = [
            models.UniqueConstraint(fields=["region", "day"], name="financing_calendar_day_unique")
        ]

    def __str__(self) -> str:
        kind = "рабочий" if self.is_working else "выходной"
        return f"{self.day:%d.%m.%Y} — {kind}"
