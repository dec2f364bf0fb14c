"""Programmes (дополнительные общеобразовательные программы), modules, groups, schedules,
and the experts' assessments for certification."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django_fsm import transition
from simple_history.models import HistoricalRecords

from pfdo.catalog.querysets import (
    AssessmentQuerySet,
    GroupQuerySet,
    ModuleQuerySet,
    ProgramQuerySet,
    ScheduleEntryQuerySet,
)
from pfdo.common import clock
from pfdo.common.choices import Direction, StudyForm, TeacherQualification
from pfdo.common.fsm import StateField

# Criteria of the experts' independent assessment (независимая оценка качества), each scored
# 0..ASSESSMENT_MAX_SCORE. The one place they are defined: forms, API and pages read them here.
ASSESSMENT_CRITERIA: list[tuple[str, str]] = [
    ("relevance", "Актуальность и востребованность программы"),
    ("goals", "Соответствие целей, содержания и ожидаемых результатов"),
    ("content", "Качество содержания и учебного плана"),
    ("methods", "Методическое обеспечение и формы контроля"),
    ("resources", "Кадровые и материально-технические условия"),
    ("accessibility", "Доступность для детей, в том числе с ОВЗ"),
]
ASSESSMENT_MAX_SCORE = 5
# A programme (or provider) with fewer parents' ratings shows their count, not an average: the
# ratings app stores `rating_avg` only from this many on, and the catalogue sorts by it.
RATING_MIN_COUNT = 3


def format_age(months: int | None) -> str:
    """72 → '6 лет', 90 → '7 лет 6 мес.'."""
    if months is None:
        return "—"
    years, rest = divmod(months, 12)
    if years % 10 == 1 and years % 100 != 11:
        word = "год"
    elif years % 10 in (2, 3, 4) and years % 100 not in (12, 13, 14):
        word = "года"
    else:
        word = "лет"
    text = f"{years} {word}"
    return f"{text} {rest} мес." if rest else text


class Program(models.Model):
    class Kind(models.TextChoices):
        GENERAL = "general", "общеразвивающая"
        PREPROFESSIONAL = "preprofessional", "предпрофессиональная"
        SPORTS_TRAINING = "sports_training", "спортивной подготовки"

    class Level(models.TextChoices):
        STARTING = "starting", "стартовый"
        BASIC = "basic", "базовый"
        ADVANCED = "advanced", "продвинутый"

    class Certification(models.TextChoices):
        DRAFT = "draft", "черновик"
        SUBMITTED = "submitted", "на сертификации"
        CERTIFIED = "certified", "сертифицирована"
        REJECTED = "rejected", "отказано в сертификации"

    class BudgetRegistry(models.TextChoices):
        NONE = "none", "нет"
        SIGNIFICANT = "significant", "реестр значимых программ"
        PREPROFESSIONAL = "preprofessional", "реестр предпрофессиональных программ"
        OTHER = "other", "реестр иных программ"

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name="поставщик",
        on_delete=models.PROTECT,
        related_name="programs",
    )
    # Denormalised from the provider: the catalogue filters by it on every query.
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        on_delete=models.PROTECT,
        related_name="programs",
    )
    name = models.CharField("название", max_length=300)
    direction = models.CharField("направленность", max_length=32, choices=Direction.choices)
    kind = models.CharField("вид", max_length=32, choices=Kind.choices, default=Kind.GENERAL)
    level = models.CharField(
        "уровень", max_length=16, choices=Level.choices, default=Level.STARTING
    )
    form = models.CharField(
        "форма обучения", max_length=16, choices=StudyForm.choices, default=StudyForm.FULL_TIME
    )
    age_from_months = models.PositiveSmallIntegerField("возраст от, мес.", null=True, blank=True)
    age_to_months = models.PositiveSmallIntegerField(
        "возраст до (включительно), мес.", null=True, blank=True
    )
    description = models.TextField("описание", blank=True)
    goals = models.TextField("цели и задачи", blank=True)
    expected_results = models.TextField("ожидаемые результаты", blank=True)
    address = models.CharField("адрес проведения", max_length=500, blank=True)
    district = models.CharField("район", max_length=200, blank=True)
    photo = models.ImageField("фото", upload_to="programs/%Y/", blank=True)
    medical_certificate_required = models.BooleanField("нужна медицинская справка", default=False)
    for_disabled = models.BooleanField("адаптирована для детей с ОВЗ", default=False)
    network_form = models.BooleanField("сетевая форма", default=False)

    certification_status = StateField(
        "сертификация", default=Certification.DRAFT, choices=Certification.choices, protected=False
    )
    certification_reason = models.TextField("причина решения по сертификации", blank=True)
    budget_registry = models.CharField(
        "бюджетный реестр",
        max_length=32,
        choices=BudgetRegistry.choices,
        default=BudgetRegistry.NONE,
    )
    paid_only = models.BooleanField("только платная", default=False)
    is_published = models.BooleanField("опубликована", default=False)
    enrolment_open = models.BooleanField("запись открыта", default=False)
    published_at = models.DateTimeField("опубликована", null=True, blank=True)
    # Each submission to certification opens a new round; an expert assesses once per round.
    submission_round = models.PositiveSmallIntegerField("раунд сертификации", default=0)
    submitted_at = models.DateTimeField("отправлена на сертификацию", null=True, blank=True)
    certification_decided_at = models.DateTimeField(
        "решение по сертификации", null=True, blank=True
    )
    archived_at = models.DateTimeField("в архиве с", null=True, blank=True)
    rating_avg = models.DecimalField(
        "рейтинг", max_digits=3, decimal_places=2, null=True, blank=True
    )
    rating_count = models.PositiveIntegerField("оценок", default=0)
    created_at = models.DateTimeField("создана", default=clock.now)
    updated_at = models.DateTimeField("изменена", default=clock.now)

    objects = ProgramQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "программа"
        verbose_name_plural = "программы"
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["municipality", "is_published", "direction"]),
            models.Index(fields=["age_from_months", "age_to_months"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_from_months__isnull=True)
                | Q(age_to_months__isnull=True)
                | Q(age_to_months__gte=F("age_from_months")),
                name="catalog_program_age_ordered",
                violation_error_message="Верхняя граница возраста не может быть меньше нижней.",
            ),
            models.CheckConstraint(
                condition=~Q(paid_only=True, certification_status="certified"),
                name="catalog_program_paid_only_not_certified",
                violation_error_message="Сертифицированная программа не может быть только платной.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_certified(self) -> bool:
        return self.certification_status == self.Certification.CERTIFIED

    @property
    def age_display(self) -> str:
        if self.age_from_months is None or self.age_to_months is None:
            return "не указан"
        return f"от {format_age(self.age_from_months)} до {format_age(self.age_to_months)}"

    @transition(
        field=certification_status,
        source=[Certification.DRAFT, Certification.REJECTED],
        target=Certification.SUBMITTED,
    )
    def submit(self) -> None: ...

    @transition(
        field=certification_status, source=Certification.SUBMITTED, target=Certification.CERTIFIED
    )
    def certify(self) -> None: ...

    @transition(
        field=certification_status, source=Certification.SUBMITTED, target=Certification.REJECTED
    )
    def reject_certification(self) -> None: ...

    @transition(
        field=certification_status,
        source=[Certification.SUBMITTED, Certification.REJECTED],
        target=Certification.DRAFT,
    )
    def return_to_draft(self) -> None: ...


class Module(models.Model):
    """The billable unit of a programme."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="modules")
    name = models.CharField("название модуля", max_length=300)
    position = models.PositiveSmallIntegerField("порядок", default=1)
    duration_months = models.PositiveSmallIntegerField(
        "продолжительность, мес.", validators=[MinValueValidator(1)]
    )
    hours = models.PositiveIntegerField("часов на группу", validators=[MinValueValidator(1)])
    min_children = models.PositiveSmallIntegerField(
        "детей в группе от", default=1, validators=[MinValueValidator(1)]
    )
    max_children = models.PositiveSmallIntegerField(
        "детей в группе до", validators=[MinValueValidator(1)]
    )
    teacher_qualification = models.CharField(
        "квалификация педагога",
        max_length=16,
        choices=TeacherQualification.choices,
        default=TeacherQualification.NONE,
    )
    price_kopecks = models.BigIntegerField(
        "цена за модуль на ребёнка, коп.", null=True, blank=True, validators=[MinValueValidator(0)]
    )
    normative_cost_kopecks = models.BigIntegerField(
        "нормативная стоимость, коп.", null=True, blank=True
    )
    normative_breakdown = models.JSONField("расчёт нормативной стоимости", default=dict, blank=True)
    normative_period = models.ForeignKey(
        "financing.FinancingPeriod",
        verbose_name="по параметрам периода",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ModuleQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "модуль"
        verbose_name_plural = "модули"
        ordering = ["program", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_kopecks__gte=0),
                name="catalog_module_price_nonnegative",
                violation_error_message="Цена не может быть отрицательной.",
            ),
            models.CheckConstraint(
                condition=Q(max_children__gte=F("min_children")),
                name="catalog_module_group_size_ordered",
                violation_error_message="Наибольшее число детей не может быть меньше наименьшего.",
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=1) & Q(duration_months__gte=1),
                name="catalog_module_hours_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.name}"

    @property
    def normative_explanation(self) -> str:
        """Why there is no normative cost (empty when it is computed)."""
        if self.normative_cost_kopecks is not None:
            return ""
        return (self.normative_breakdown or {}).get(
            "missing", "Нормативная стоимость ещё не рассчитана."
        )

    @property
    def certificate_covers_kopecks(self) -> int | None:
        """What a financing certificate pays at most for this module: min(price, normative).

        None while either is unknown: without a normative cost nobody can promise a parent
        that the certificate covers the price.
        """
        if self.price_kopecks is None or self.normative_cost_kopecks is None:
            return None
        return min(self.price_kopecks, self.normative_cost_kopecks)

    @property
    def copayment_kopecks(self) -> int | None:
        covers = self.certificate_covers_kopecks
        return None if covers is None else self.price_kopecks - covers


class Group(models.Model):
    """A module taught to real children at a place and time."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField("название группы", max_length=200)
    teacher_name = models.CharField("педагог", max_length=300, blank=True)
    address = models.CharField("адрес", max_length=500)
    room = models.CharField("кабинет", max_length=100, blank=True)
    starts_on = models.DateField("начало занятий", null=True, blank=True)
    ends_on = models.DateField("окончание занятий", null=True, blank=True)
    capacity = models.PositiveSmallIntegerField("мест", validators=[MinValueValidator(1)])
    seats_taken = models.PositiveSmallIntegerField("занято мест", default=0)
    enrolment_open = models.BooleanField("запись открыта", default=True)

    objects = GroupQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "группа"
        verbose_name_plural = "группы"
        ordering = ["module", "starts_on", "name", "id"]
        indexes = [models.Index(fields=["address", "room"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=1),
                name="catalog_group_capacity_positive",
                violation_error_message="В группе должно быть хотя бы одно место.",
            ),
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")),
                name="catalog_group_seats_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gt=F("starts_on")),
                name="catalog_group_dates_ordered",
                violation_error_message="Окончание занятий должно быть позже начала.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def free_places(self) -> int:
        return max(self.capacity - self.seats_taken, 0)


class ScheduleEntry(models.Model):
    class Weekday(models.IntegerChoices):
        MON = 1, "понедельник"
        TUE = 2, "вторник"
        WED = 3, "среда"
        THU = 4, "четверг"
        FRI = 5, "пятница"
        SAT = 6, "суббота"
        SUN = 7, "воскресенье"

    class Parity(models.TextChoices):
        EVERY = "every", "каждую неделю"
        ODD = "odd", "по нечётным неделям"
        EVEN = "even", "по чётным неделям"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="schedule")
    weekday = models.PositiveSmallIntegerField("день недели", choices=Weekday.choices)
    starts_at = models.TimeField("с")
    ends_at = models.TimeField("до")
    parity = models.CharField("недели", max_length=8, choices=Parity.choices, default=Parity.EVERY)

    objects = ScheduleEntryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "занятие в расписании"
        verbose_name_plural = "расписание"
        ordering = ["group", "weekday", "starts_at"]
        indexes = [models.Index(fields=["weekday", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="catalog_schedule_time_ordered",
                violation_error_message="Занятие должно заканчиваться позже, чем начинается.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=1, weekday__lte=7), name="catalog_schedule_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class Assessment(models.Model):
    """An expert's independent assessment of a programme sent to certification."""

    class Conclusion(models.TextChoices):
        RECOMMENDED = "recommended", "рекомендована к сертификации"
        NOT_RECOMMENDED = "not_recommended", "не рекомендована"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="assessments")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    scores = models.JSONField("оценки по критериям", default=dict)
    total_score = models.PositiveSmallIntegerField("сумма баллов", default=0)
    conclusion = models.CharField("заключение", max_length=32, choices=Conclusion.choices)
    comment = models.TextField("комментарий", blank=True)
    round = models.PositiveSmallIntegerField("раунд сертификации", default=1)
    created_at = models.DateTimeField("дата", default=clock.now)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = "экспертная оценка"
        verbose_name_plural = "экспертные оценки"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "expert", "round"],
                name="catalog_assessment_once_per_round",
                violation_error_message="Эксперт уже оценил программу в этом раунде.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.get_conclusion_display()}"

    @property
    def score_rows(self) -> list[tuple[str, int | None]]:
        return [(label, self.scores.get(code)) for code, label in ASSESSMENT_CRITERIA]
