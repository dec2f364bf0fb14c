"""The content operations of the compatibility API (news, FAQ, instructions, video
instructions, privacy policy) and the escaped-paragraph HTML, on rows each test makes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pfdo.compat.tests.conftest import CompatClient
from pfdo.compat.text import paragraphs
from pfdo.content.models import (
    FaqEntry,
    Instruction,
    News,
    PortalSettings,
    VideoInstruction,
)
from pfdo.territory.tests.factories import MunicipalityFactory, RegionFactory

MOMENT = datetime(2026, 5, 13, 7, 30, tzinfo=UTC)


@pytest.fixture
def client(db) -> CompatClient:
    return CompatClient()


def _data(response, status: int = 200):
    assert response.status_code == status, response.content
    body = response.json()
    if status == 200:
        assert body["result_code"] == "FLSCS"
        return body["data"]
    assert body["status"] == status and body["name"]
    return body


def _news(region, *, published=True, days=0, **fields) -> News:
    return News.objects.create(
        region=region,
        is_published=published,
        published_at=MOMENT + timedelta(days=days) if published else None,
        title=fields.pop("title", "Новость"),
        body=fields.pop("body", "Текст."),
        **fields,
    )


# ------------------------------------------------------------------ the HTML of plain text


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (None, ""),
        ("", ""),
        ("  \n\n ", ""),
        ("Один", "<p>Один</p>"),
        ("a\nb\n\nc", "<p>a<br>b</p>\n\n<p>c</p>"),
        (
            "<script>alert(\"x\")</script> & 'q'",
            "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;</p>",
        ),
    ],
)
def test_paragraphs_escape_everything_and_split_on_blank_lines(text, html):
    assert paragraphs(text) == html


# ------------------------------------------------------------------ news


def test_news_are_the_published_ones_newest_first(client, vorkuta):
    old = _news(vorkuta.region, title="Старая", days=0)
    new = _news(vorkuta.region, title="Новая", days=3, summary="Кратко", author="Пресс-служба")
    _news(vorkuta.region, title="Черновик", published=False)
    closed = MunicipalityFactory(region=vorkuta.region, is_active=False)
    _news(vorkuta.region, title="Закрытого муниципалитета", municipality=closed)
    data = _data(client.get("main-page/news"))
    assert [row["id"] for row in data] == [new.pk, old.pk]
    assert data[0]["caption"] == "Новая"
    assert data[0]["text_short"] == "Кратко" and data[1]["text_short"] is None
    assert data[0]["author"] == "Пресс-служба"
    assert data[0]["status"] == 1 and data[0]["count_view"] is None
    assert datetime.fromisoformat(data[0]["date_publication"]) == MOMENT + timedelta(days=3)


def test_news_of_one_operator_paged(client, vorkuta):
    mine = [_news(vorkuta.region, days=day) for day in range(3)]
    _news(RegionFactory(), days=10)
    first = _data(client.get(f"main-page/news?operator={vorkuta.region_id}&per-page=2"))
    second = _data(client.get(f"main-page/news?operator={vorkuta.region_id}&per-page=2&page=2"))
    assert [row["id"] for row in first + second] == [news.pk for news in reversed(mine)]
    assert len(_data(client.get("main-page/news"))) == 4


@pytest.mark.parametrize(
    "query", ["per-page=0", "per-page=101", "page=-1", "operator=x", "expand=a b"]
)
def test_news_refuse_bad_parameters(client, region, query):
    _data(client.get(f"main-page/news?{query}"), 400)


def test_news_of_an_unknown_operator_are_not_found(client, region):
    _data(client.get(f"main-page/news?operator={region.pk + 1000}"), 400)


def test_news_query_count_does_not_grow_with_the_page(client, region):
    for day in range(2):
        _news(region, days=day)
    with CaptureQueriesContext(connection) as few:
        assert len(_data(client.get("main-page/news?per-page=100"))) == 2
    for day in range(2, 30):
        _news(region, days=day)
    with CaptureQueriesContext(connection) as many:
        assert len(_data(client.get("main-page/news?per-page=100"))) == 30
    assert len(many) == len(few)


def test_news_item_escapes_its_text_and_gives_absolute_image_addresses(client, region):
    news = _news(
        region,
        body="<img src=x onerror=alert(1)>\n\nВторой абзац",
        image=SimpleUploadedFile("pic.png", b"\x89PNG\r\n", content_type="image/png"),
    )
    data = _data(client.get(f"main-page/news/{news.pk}"))
    assert data["text_full"] == "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n\n<p>Второй абзац</p>"
    assert data["image_1_url"] == data["thumb_url"]
    assert data["thumb_url"].startswith("http://testserver/media/content/news/")
    assert data["thumb_url"] == "http://testserver" + data["thumb"]


def test_news_item_without_an_image_has_null_addresses(client, region):
    data = _data(client.get(f"main-page/news/{_news(region).pk}"))
    assert data["thumb"] is None and data["thumb_url"] is None and data["image_1_url"] is None


def test_a_draft_or_unknown_news_item_is_not_found(client, region):
    draft = _news(region, published=False)
    _data(client.get(f"main-page/news/{draft.pk}"), 404)
    _data(client.get(f"main-page/news/{draft.pk + 1000}"), 404)
    _data(client.get("main-page/news/abc"), 404)


# ------------------------------------------------------------------ questions and answers


def _faq(region, topic, *, published=True, **fields) -> FaqEntry:
    return FaqEntry.objects.create(
        region=region,
        topic=topic,
        is_published=published,
        question=fields.pop("question", "Как получить сертификат?"),
        answer=fields.pop("answer", "Подайте заявление."),
        **fields,
    )


def test_faq_search_by_topics(client, region):
    certificate = _faq(region, FaqEntry.Topic.CERTIFICATE, position=1)
    money = _faq(region, FaqEntry.Topic.MONEY, position=2, answer="Баланс <b>в кабинете</b>.")
    _faq(region, FaqEntry.Topic.OTHER)
    _faq(region, FaqEntry.Topic.CERTIFICATE, published=False)
    found = _data(client.get("public/faq/search?search[keywords_ids]=1, 3"))
    assert [row["id"] for row in found] == [certificate.pk, money.pk]
    assert found[1]["answer"] == "<p>Баланс &lt;b&gt;в кабинете&lt;/b&gt;.</p>"
    assert found[1]["topic"] == 3 and found[1]["status"] == 1
    assert found[0]["question_short"] is None
    assert len(_data(client.get("public/faq/search"))) == 3


@pytest.mark.parametrize("ids", ["x", "1,", "0", "6", "1;2", "-1", "１"])
def test_faq_search_refuses_malformed_topic_ids(client, region, ids):
    body = _data(client.get(f"public/faq/search?search[keywords_ids]={ids}"), 400)
    assert "search[keywords_ids]" in body["message"]


def test_faq_answer_is_the_published_one(client, region):
    entry = _faq(region, FaqEntry.Topic.ENROLMENT, question_short="Запись")
    data = _data(client.get(f"public/faq/{entry.pk}"))
    assert data["id"] == entry.pk and data["question_short"] == "Запись"
    draft = _faq(region, FaqEntry.Topic.ENROLMENT, published=False)
    _data(client.get(f"public/faq/{draft.pk}"), 404)


# ------------------------------------------------------------------ instructions


def _instruction(region, *, published=True, **fields) -> Instruction:
    return Instruction.objects.create(
        region=region,
        is_published=published,
        title=fields.pop("title", "Как записаться"),
        body=fields.pop("body", "Шаг 1.\n\nШаг 2."),
        updated_at=MOMENT,
        **fields,
    )


def test_instructions_list_roles_and_unix_time(client, region):
    shown = _instruction(region, roles=["parent", "no-such-role", 5])
    _instruction(region, published=False)
    _instruction(RegionFactory())
    data = _data(client.get(f"public/instructions?operator={region.pk}"))
    assert data == [
        {
            "id": shown.pk,
            "name": "Как записаться",
            "roles": [{"id": "parent", "name": "Родитель (законный представитель)"}],
            "updated_at": int(MOMENT.timestamp()),
        }
    ]
    assert len(_data(client.get("public/instructions"))) == 2


def test_instruction_body_is_escaped_paragraphs(client, region):
    instruction = _instruction(region, body="<a href=x>ссылка</a>\n\nДалее")
    data = _data(client.get(f"public/instructions/{instruction.pk}?operator={region.pk}"))
    assert data["body"] == "<p>&lt;a href=x&gt;ссылка&lt;/a&gt;</p>\n\n<p>Далее</p>"
    assert data["updated_at"] == int(MOMENT.timestamp())


def test_an_instruction_of_another_operator_or_a_draft_is_not_found(client, region):
    other = RegionFactory()
    instruction = _instruction(region)
    _data(client.get(f"public/instructions/{instruction.pk}?operator={other.pk}"), 404)
    draft = _instruction(region, published=False)
    _data(client.get(f"public/instructions/{draft.pk}"), 404)


def test_instruction_pdf_is_the_absolute_address_of_the_upload(client, region):
    instruction = _instruction(
        region, pdf=SimpleUploadedFile("guide.pdf", b"%PDF-1.4", content_type="application/pdf")
    )
    data = _data(client.get(f"public/instructions/download-pdf/{instruction.pk}"))
    assert data["url"].startswith("http://testserver/media/content/instructions/")
    assert data["url"].endswith(".pdf")


def test_an_instruction_without_a_pdf_has_no_pdf_address(client, region):
    instruction = _instruction(region)
    body = _data(client.get(f"public/instructions/download-pdf/{instruction.pk}"), 404)
    assert "PDF" in body["message"]


# ------------------------------------------------------------------ video instructions


def test_both_video_addresses_give_the_published_videos_with_web_links_only(client, region):
    video = VideoInstruction.objects.create(
        region=region,
        is_published=True,
        title="Запись в кружок",
        links=["https://video.example.org/1", "javascript:alert(1)", 7],
    )
    VideoInstruction.objects.create(region=region, title="Черновик", links=[])
    legacy = _data(client.get("public/instructions/video-instructions"))
    current = _data(client.get(f"video-instructions?operator={region.pk}"))
    assert (
        legacy
        == current
        == [{"id": video.pk, "name": "Запись в кружок", "links": ["https://video.example.org/1"]}]
    )


# ------------------------------------------------------------------ privacy policy


def test_privacy_policy_is_the_operators_link(client, region):
    PortalSettings.objects.create(region=region, privacy_policy_url="https://komi.example.org/pd")
    data = _data(client.get(f"privacy-policy/get-document-url?operator_id={region.pk}"))
    assert data == {"document_url": "https://komi.example.org/pd"}


def test_privacy_policy_file_when_there_is_no_link(client, region):
    PortalSettings.objects.create(
        region=region,
        privacy_policy_file=SimpleUploadedFile("policy.pdf", b"%PDF-1.4"),
    )
    data = _data(client.get(f"privacy-policy/get-document-url?operator_id={region.pk}"))
    assert data["document_url"].startswith("http://testserver/media/content/privacy/")


def test_privacy_policy_not_set_is_not_found(client, region):
    _data(client.get(f"privacy-policy/get-document-url?operator_id={region.pk}"), 404)
    PortalSettings.objects.create(region=region)
    _data(client.get(f"privacy-policy/get-document-url?operator_id={region.pk}"), 404)


def test_privacy_policy_needs_an_operator(client, region):
    _data(client.get("privacy-policy/get-document-url"), 400)
    _data(client.get(f"privacy-policy/get-document-url?operator_id={region.pk + 1000}"), 400)
