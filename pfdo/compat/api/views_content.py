"""Compatibility operations: the portal's content — news, questions and answers, instructions,
video instructions, the privacy-policy document.

getMainPageNews, getMainPageNewsItem, searchPublicFaq, getPublicFaqAnswer,
getPublicInstructions, getPublicInstruction, getPublicInstructionPdf,
getPublicVideoInstructionsLegacy, getVideoInstructions, getPrivacyPolicyDocumentUrl.

Only published rows (of a whole region or of an active municipality) are served; a draft is
the 404 envelope like a row that does not exist. Texts editors typed are plain text: the fields
the original carries as HTML (news text_full, the FAQ answer, an instruction's body) are the
escaped paragraphs of pfdo.compat.text. Lists take an optional `operator` (the region); without
it they hold every region's rows — the description of /main-page/news names no operator
parameter, and a portal of one region passes it.
"""

from __future__ import annotations

import re

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from pfdo.accounts.roles import Role
from pfdo.compat.api.base import CompatView, ok
from pfdo.compat.api.errors import NotFound
from pfdo.compat.api.lookups import (
    id_list,
    id_parameter,
    operator_param,
    path_id,
    published_of_active,
)
from pfdo.compat.api.params import TOPICS_PATTERN
from pfdo.compat.api.schema import (
    EXPAND,
    OPERATOR_ID,
    OPERATOR_OPTIONAL,
    PAGE,
    PER_PAGE,
    SEARCH_TOPICS,
    envelope,
)
from pfdo.compat.portal import file_url
from pfdo.compat.text import or_none, paragraphs
from pfdo.content.models import (
    FaqEntry,
    Instruction,
    News,
    PortalSettings,
    VideoInstruction,
)

# The original's `status` of a shown news item or answer: shown rows only leave this API.
STATUS_PUBLISHED = 1

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def _scoped(queryset, region):
    queryset = published_of_active(queryset)
    return queryset if region is None else queryset.filter(region=region)


def _one(queryset, pk: int, message: str):
    """The row `pk` of `queryset`, or the 404 envelope with `message`."""
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise NotFound(message)
    return row


def _unix(moment) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _iso(moment) -> str | None:
    return None if moment is None else timezone.localtime(moment).isoformat()


# ------------------------------------------------------------------ news


class NewsItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    caption = serializers.CharField(help_text="Заголовок.")
    text_short = serializers.CharField(allow_null=True, help_text="Кратко, простой текст.")
    text_full = serializers.CharField(
        allow_null=True, help_text="HTML: текст, экранированный, абзацы в <p>."
    )
    status = serializers.IntegerField(help_text="1 — опубликована (другие не отдаются).")
    thumb = serializers.CharField(allow_null=True, help_text="Путь картинки на сайте.")
    thumb_url = serializers.URLField(allow_null=True, help_text="Адрес картинки.")
    image_1_url = serializers.URLField(allow_null=True, help_text="Адрес картинки.")
    date_publication = serializers.CharField(allow_null=True, help_text="ISO 8601.")
    author = serializers.CharField(allow_null=True)
    count_view = serializers.IntegerField(
        allow_null=True, help_text="Всегда null: просмотры не считаются."
    )

    class Meta:
        ref_name = "PfdoV2NewsItem"


def _news_item(request, news: News) -> dict:
    image = file_url(request, news.image)
    return {
        "id": news.pk,
        "caption": news.title,
        "text_short": or_none(news.summary),
        "text_full": paragraphs(news.body),
        "status": STATUS_PUBLISHED,
        "thumb": news.image.url if news.image else None,
        "thumb_url": image,
        "image_1_url": image,
        "date_publication": _iso(news.published_at),
        "author": or_none(news.author),
        "count_view": None,
    }


class NewsView(CompatView):
    @extend_schema(
        operation_id="getMainPageNews",
        summary="Новости",
        description="Опубликованные новости, новые первыми. operator — новости одного региона; "
        "без него — всех регионов.",
        parameters=[OPERATOR_OPTIONAL, PAGE, PER_PAGE, EXPAND],
        responses={200: envelope("News", NewsItemSerializer, many=True)},
    )
    def get(self, request):
        self.params.expand(frozenset())
        region = operator_param(self.params, required=False)
        page = self.params.page()
        rows = page.slice(_scoped(News.objects.all(), region).order_by("-published_at", "-pk"))
        return ok([_news_item(request, news) for news in rows])


class NewsItemView(CompatView):
    @extend_schema(
        operation_id="getMainPageNewsItem",
        summary="Новость",
        parameters=[id_parameter("ID новости."), EXPAND],
        responses={200: envelope("NewsItem", NewsItemSerializer)},
    )
    def get(self, request, **kwargs):
        number = path_id(kwargs["id"])
        self.params.expand(frozenset())
        news = _one(_scoped(News.objects.all(), None), number, f"Новость {number} не опубликована.")
        return ok(_news_item(request, news))


# ------------------------------------------------------------------ questions and answers


class FaqItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField(allow_null=True, help_text="Простой текст.")
    question_short = serializers.CharField(allow_null=True, help_text="Простой текст.")
    answer = serializers.CharField(
        allow_null=True, help_text="HTML: ответ, экранированный, абзацы в <p>."
    )
    status = serializers.IntegerField(allow_null=True, help_text="1 — опубликован.")
    topic = serializers.IntegerField(
        help_text="Тема (1 — сертификат, 2 — запись в кружки, 3 — оплата и баланс, "
        "4 — поставщикам, 5 — другое); её номера ищет search[keywords_ids]."
    )

    class Meta:
        ref_name = "PfdoV2FaqItem"


FAQ_FIELDS = ("pk", "question", "question_short", "answer", "topic")


def _faq_item(row: dict) -> dict:
    return {
        "id": row["pk"],
        "question": or_none(row["question"]),
        "question_short": or_none(row["question_short"]),
        "answer": paragraphs(row["answer"]) or None,
        "status": STATUS_PUBLISHED,
        "topic": row["topic"],
    }


TOPICS = range(min(FaqEntry.Topic.values), max(FaqEntry.Topic.values) + 1)


class FaqSearchView(CompatView):
    @extend_schema(
        operation_id="searchPublicFaq",
        summary="Вопросы и ответы по темам",
        description="search[keywords_ids] — номера тем через запятую (1 — сертификат, "
        "2 — запись в кружки, 3 — оплата и баланс, 4 — поставщикам, 5 — другое); "
        "без него — все опубликованные вопросы. operator — вопросы одного региона.",
        parameters=[SEARCH_TOPICS, OPERATOR_OPTIONAL],
        responses={200: envelope("FaqList", FaqItemSerializer, many=True)},
    )
    def get(self, request):
        self.params.search()
        topics = id_list(
            self.params.text("search[keywords_ids]", pattern=TOPICS_PATTERN, example="1,3"),
            "search[keywords_ids]",
            TOPICS,
        )
        region = operator_param(self.params, required=False)
        queryset = _scoped(FaqEntry.objects.all(), region)
        if topics is not None:
            queryset = queryset.filter(topic__in=topics)
        rows = queryset.order_by("region_id", "position", "pk").values(*FAQ_FIELDS)
        return ok([_faq_item(row) for row in rows])


class FaqAnswerView(CompatView):
    @extend_schema(
        operation_id="getPublicFaqAnswer",
        summary="Вопрос и ответ",
        parameters=[id_parameter("ID вопроса.")],
        responses={200: envelope("FaqItem", FaqItemSerializer)},
    )
    def get(self, request, **kwargs):
        number = path_id(kwargs["id"])
        row = _one(
            _scoped(FaqEntry.objects.all(), None).values(*FAQ_FIELDS),
            number,
            f"Вопрос {number} не опубликован.",
        )
        return ok(_faq_item(row))


# ------------------------------------------------------------------ instructions


class InstructionRoleSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Код роли в этой системе, например parent.")
    name = serializers.CharField()

    class Meta:
        ref_name = "PfdoV2InstructionRole"


class InstructionListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    roles = InstructionRoleSerializer(many=True, help_text="Для кого инструкция.")
    updated_at = serializers.IntegerField(allow_null=True, help_text="Время Unix.")

    class Meta:
        ref_name = "PfdoV2InstructionListItem"


class InstructionDetailSerializer(InstructionListItemSerializer):
    body = serializers.CharField(help_text="HTML: текст, экранированный, абзацы в <p>.")

    class Meta:
        ref_name = "PfdoV2InstructionDetail"


def _roles(codes) -> list[dict]:
    labels = dict(Role.choices)
    return [
        {"id": code, "name": labels[code]}
        for code in (codes if isinstance(codes, list) else [])
        if isinstance(code, str) and code in labels
    ]


def _instruction(row: dict) -> dict:
    return {
        "id": row["pk"],
        "name": row["title"],
        "roles": _roles(row["roles"]),
        "updated_at": _unix(row["updated_at"]),
    }


def _instructions(params, *, of_object: bool = False):
    region = operator_param(params, required=False, of_object=of_object)
    return _scoped(Instruction.objects.all(), region)


class InstructionsView(CompatView):
    @extend_schema(
        operation_id="getPublicInstructions",
        summary="Инструкции",
        parameters=[OPERATOR_OPTIONAL],
        responses={200: envelope("Instructions", InstructionListItemSerializer, many=True)},
    )
    def get(self, request):
        rows = (
            _instructions(self.params)
            .order_by("region_id", "position", "pk")
            .values("pk", "title", "roles", "updated_at")
        )
        return ok([_instruction(row) for row in rows])


class InstructionView(CompatView):
    @extend_schema(
        operation_id="getPublicInstruction",
        summary="Инструкция",
        parameters=[id_parameter("ID инструкции."), OPERATOR_OPTIONAL],
        responses={200: envelope("Instruction", InstructionDetailSerializer)},
    )
    def get(self, request, **kwargs):
        number = path_id(kwargs["id"])
        row = _one(
            _instructions(self.params, of_object=True).values(
                "pk", "title", "roles", "updated_at", "body"
            ),
            number,
            f"Инструкция {number} не опубликована.",
        )
        return ok({**_instruction(row), "body": paragraphs(row["body"])})


InstructionPdfSerializer = inline_serializer(
    name="PfdoV2InstructionPdf",
    fields={"url": serializers.URLField(help_text="Адрес PDF инструкции.")},
)


class InstructionPdfView(CompatView):
    @extend_schema(
        operation_id="getPublicInstructionPdf",
        summary="PDF инструкции",
        description="404 — у инструкции нет PDF.",
        parameters=[id_parameter("ID инструкции."), OPERATOR_OPTIONAL],
        responses={200: envelope("InstructionPdf", InstructionPdfSerializer)},
    )
    def get(self, request, **kwargs):
        number = path_id(kwargs["id"])
        instruction = _one(
            _instructions(self.params, of_object=True).only("pk", "pdf"),
            number,
            f"Инструкция {number} не опубликована.",
        )
        if not instruction.pdf:
            raise NotFound(f"У инструкции {number} нет PDF.")
        return ok({"url": file_url(request, instruction.pdf)})


# ------------------------------------------------------------------ video instructions


class VideoInstructionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    links = serializers.ListField(child=serializers.URLField(), help_text="Ссылки на видео.")

    class Meta:
        ref_name = "PfdoV2VideoInstruction"


def _video_instructions(params) -> list[dict]:
    rows = (
        _scoped(VideoInstruction.objects.all(), operator_param(params, required=False))
        .order_by("region_id", "position", "pk")
        .values("pk", "title", "links")
    )
    return [
        {
            "id": row["pk"],
            "name": row["title"],
            # Only web addresses: the description promises URIs, and a portal puts them in
            # links.
            "links": [
                link
                for link in (row["links"] if isinstance(row["links"], list) else [])
                if isinstance(link, str) and _URL.match(link)
            ],
        }
        for row in rows
    ]


class VideoInstructionsLegacyView(CompatView):
    @extend_schema(
        operation_id="getPublicVideoInstructionsLegacy",
        summary="Видеоинструкции (старый адрес)",
        description="То же, что /video-instructions. Код результата всегда FLSCS (в том числе "
        "для пустого списка).",
        parameters=[OPERATOR_OPTIONAL],
        responses={200: envelope("VideoInstructionsLegacy", VideoInstructionSerializer, many=True)},
    )
    def get(self, request):
        return ok(_video_instructions(self.params))


class VideoInstructionsView(CompatView):
    @extend_schema(
        operation_id="getVideoInstructions",
        summary="Видеоинструкции",
        parameters=[OPERATOR_OPTIONAL],
        responses={200: envelope("VideoInstructions", VideoInstructionSerializer, many=True)},
    )
    def get(self, request):
        return ok(_video_instructions(self.params))


# ------------------------------------------------------------------ privacy policy

PrivacyPolicySerializer = inline_serializer(
    name="PfdoV2PrivacyPolicy",
    fields={
        "document_url": serializers.URLField(
            help_text="Ссылка оператора на политику либо адрес загруженного файла."
        )
    },
)


class PrivacyPolicyView(CompatView):
    @extend_schema(
        operation_id="getPrivacyPolicyDocumentUrl",
        summary="Политика обработки персональных данных",
        description="404 — оператор не указал ни ссылку, ни файл.",
        parameters=[OPERATOR_ID],
        responses={200: envelope("PrivacyPolicy", PrivacyPolicySerializer)},
    )
    def get(self, request):
        region = operator_param(self.params, "operator_id")
        card = (
            PortalSettings.objects.filter(region=region)
            .only("privacy_policy_url", "privacy_policy_file")
            .first()
        )
        url = card and (card.privacy_policy_url or file_url(request, card.privacy_policy_file))
        if not url:
            raise NotFound("Региональный оператор не указал политику обработки данных.")
        return ok({"document_url": url})


routes = [
    path("main-page/news", NewsView.as_view(), name="compat-news"),
    path("main-page/news/<str:id>", NewsItemView.as_view(), name="compat-news-item"),
    path("public/faq/search", FaqSearchView.as_view(), name="compat-faq-search"),
    path("public/faq/<str:id>", FaqAnswerView.as_view(), name="compat-faq-answer"),
    path("public/instructions", InstructionsView.as_view(), name="compat-instructions"),
    # Before public/instructions/<id>: "video-instructions" is not an id.
    path(
        "public/instructions/video-instructions",
        VideoInstructionsLegacyView.as_view(),
        name="compat-video-instructions-legacy",
    ),
    path(
        "public/instructions/download-pdf/<str:id>",
        InstructionPdfView.as_view(),
        name="compat-instruction-pdf",
    ),
    path("public/instructions/<str:id>", InstructionView.as_view(), name="compat-instruction"),
    path("video-instructions", VideoInstructionsView.as_view(), name="compat-video-instructions"),
    path(
        "privacy-policy/get-document-url",
        PrivacyPolicyView.as_view(),
        name="compat-privacy-policy",
    ),
]
