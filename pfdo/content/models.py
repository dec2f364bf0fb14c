"""Public content a region's officials edit (see apps.py). No I/O here.

Every row but the two one-per-place cards has a region and, optionally, a municipality: a row
with a municipality is that municipality's (its operators edit it), one without is the whole
region's (its administrators edit it). Texts are plain text: the pages and the APIs escape them
and turn blank lines into paragraphs, so nothing an editor types runs in a reader's browser.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from pfdo.common import clock
from pfdo.content.querysets import (
    ContentQuerySet,
    ExpertProfileQuerySet,
    MunicipalityPageQuerySet,
    PortalSettingsQuerySet,
)


class Placed(models.Model):
    """Where a row belongs and whether the public sees it."""

    region = models.ForeignKey(
        "territory.Region", verbose_name="регион", on_delete=models.PROTECT, related_name="+"
    )
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Пусто — для всего региона.",
    )
    is_published = models.BooleanField("опубликовано", default=False)
    position = models.PositiveIntegerField("порядок", default=0)
    created_at = models.DateTimeField("создано", default=clock.now)
    updated_at = models.DateTimeField("изменено", default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="изменил",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ContentQuerySet.as_manager()

    class Meta:
        abstract = True


class News(Placed):
    title = models.CharField("заголовок", max_length=300)
    summary = models.TextField("кратко", max_length=1000, blank=True)
    body = models.TextField("текст", max_length=20000)
    image = models.ImageField("картинка", upload_to="content/news/%Y/", blank=True)
    author = models.CharField("автор", max_length=200, blank=True)
    published_at = models.DateTimeField("опубликовано", null=True, blank=True)

    class Meta:
        verbose_name = "новость"
        verbose_name_plural = "новости"
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="content_news_published_has_date",
                condition=Q(is_published=False) | Q(published_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.title


class FaqEntry(Placed):
    class Topic(models.IntegerChoices):
        CERTIFICATE = 1, "Сертификат"
        ENROLMENT = 2, "Запись в кружки"
        MONEY = 3, "Оплата и баланс"
        PROVIDERS = 4, "Поставщикам"
        OTHER = 5, "Другое"

    question = models.TextField("вопрос", max_length=2000)
    question_short = models.CharField("вопрос кратко", max_length=300, blank=True)
    answer = models.TextField("ответ", max_length=20000)
    topic = models.PositiveSmallIntegerField("тема", choices=Topic.choices, default=Topic.OTHER)

    class Meta:
        verbose_name = "вопрос и ответ"
        verbose_name_plural = "вопросы и ответы"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.question_short or self.question[:80]


class Instruction(Placed):
    # For whom: the roles of this system whose users the instruction is written for.
    title = models.CharField("название", max_length=300)
    body = models.TextField("текст", max_length=50000)
    roles = models.JSONField("для кого (роли)", default=list, blank=True)
    pdf = models.FileField("PDF", upload_to="content/instructions/%Y/", blank=True)

    class Meta:
        verbose_name = "инструкция"
        verbose_name_plural = "инструкции"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class VideoInstruction(Placed):
    title = models.CharField("название", max_length=300)
    links = models.JSONField("ссылки на видео", default=list)

    class Meta:
        verbose_name = "видеоинструкция"
        verbose_name_plural = "видеоинструкции"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class UsefulContact(Placed):
    name = models.CharField("кто", max_length=300)
    phone = models.CharField("телефон", max_length=64, blank=True)
    email = models.EmailField("электронная почта", blank=True)
    address = models.CharField("адрес", max_length=500, blank=True)

    class Meta:
        verbose_name = "полезный контакт"
        verbose_name_plural = "полезные контакты"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class PortalSettings(models.Model):
    """The regional operator's public card and the portal's headings: one per region."""

    region = models.OneToOneField(
        "territory.Region", verbose_name="регион", on_delete=models.PROTECT, related_name="portal"
    )
    operator_name = models.CharField("региональный оператор", max_length=500, blank=True)
    phone = models.CharField("телефон", max_length=64, blank=True)
    phone_extra = models.CharField("дополнительный телефон", max_length=64, blank=True)
    email = models.EmailField("электронная почта", blank=True)
    address_actual = models.CharField("фактический адрес", max_length=500, blank=True)
    address_legal = models.CharField("юридический адрес", max_length=500, blank=True)
    site_url = models.URLField("адрес портала", blank=True)
    privacy_policy_url = models.URLField(
        "политика обработки персональных данных (ссылка)", blank=True
    )
    privacy_policy_file = models.FileField(
        "политика обработки персональных данных (файл)", upload_to="content/privacy/", blank=True
    )
    navigator_title = models.CharField("заголовок навигатора", max_length=200, blank=True)
    news_title = models.CharField("заголовок новостей", max_length=200, blank=True)
    login_form_title = models.CharField("заголовок формы входа", max_length=200, blank=True)
    updated_at = models.DateTimeField("изменено", default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="изменил",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PortalSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = "карточка регионального оператора"
        verbose_name_plural = "карточки региональных операторов"

    def __str__(self) -> str:
        return self.operator_name or str(self.region_id)


class MunicipalityPage(models.Model):
    """What a family in this municipality reads on the "how to get a certificate" page."""

    municipality = models.OneToOneField(
        "territory.Municipality",
        verbose_name="муниципалитет",
        on_delete=models.PROTECT,
        related_name="page",
    )
    certificate_text = models.TextField("как получить сертификат", max_length=20000, blank=True)
    updated_at = models.DateTimeField("изменено", default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="изменил",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = MunicipalityPageQuerySet.as_manager()

    class Meta:
        verbose_name = "страница муниципалитета"
        verbose_name_plural = "страницы муниципалитетов"

    def __str__(self) -> str:
        return str(self.municipality_id)


class ExpertProfile(models.Model):
    """An expert's public card, shown only when published (an expert's name is not public by
    default). `region`: the region whose portal lists the expert."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="эксперт",
        on_delete=models.CASCADE,
        related_name="expert_profile",
    )
    region = models.ForeignKey(
        "territory.Region", verbose_name="регион", on_delete=models.PROTECT, related_name="+"
    )
    post = models.CharField("должность", max_length=300, blank=True)
    organization_name = models.CharField("организация", max_length=500, blank=True)
    description = models.TextField("о себе", max_length=5000, blank=True)
    is_public = models.BooleanField("показывать публично", default=False)
    updated_at = models.DateTimeField("изменено", default=clock.now)

    objects = ExpertProfileQuerySet.as_manager()

    class Meta:
        verbose_name = "карточка эксперта"
        verbose_name_plural = "карточки экспертов"

    def __str__(self) -> str:
        return str(self.user)
