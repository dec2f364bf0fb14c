"""Pages of public content: the cabinet section, the cards, the public pages (escaped text)."""

from __future__ import annotations

import pytest
from django.test import Client

from pfdo.audit.models import ActionLog
from pfdo.content import services
from pfdo.content.models import ExpertProfile, FaqEntry, MunicipalityPage, News, PortalSettings
from pfdo.content.templatetags.content_text import paragraphs

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_paragraphs_escapes_and_splits_on_blank_lines():
    from django.utils.safestring import mark_safe

    html = paragraphs(mark_safe("<script>x</script>\nвторая строка\n\n\n  Абзац & ещё  "))
    assert html == (
        "<p>&lt;script&gt;x&lt;/script&gt;<br>вторая строка</p>\n<p>Абзац &amp; ещё</p>"
    )
    assert paragraphs("") == ""


def test_cabinet_section_is_for_officials(operator, admin, parent, expert):
    for user in (operator, admin):
        response = client_of(user).get("/cabinet/content/")
        assert response.status_code == 200
        assert "Материалы портала" in response.content.decode()
    for user in (parent, expert):
        assert client_of(user).get("/cabinet/content/news/").status_code == 403
    assert Client().get("/cabinet/content/").status_code == 302
    assert client_of(admin).get("/cabinet/content/nothing/").status_code == 404
    # The navigation links the section for officials and the card for the expert.
    assert "/cabinet/content/" in client_of(operator).get("/cabinet/content/").content.decode()
    assert "/cabinet/expert/profile/" in client_of(expert).get("/").content.decode()


def test_an_operator_adds_edits_publishes_and_deletes_a_question(operator, vorkuta, inta):
    client = client_of(operator)
    form = client.get("/cabinet/content/faq/new/").content.decode()
    # Only the operator's own municipality is offered.
    assert "Воркута" in form and "Инта" not in form and "Весь регион" not in form
    response = client.post(
        "/cabinet/content/faq/new/",
        {
            "topic": "1",
            "question": "Кто получает сертификат?",
            "question_short": "",
            "answer": "Дети 5–18 лет.",
            "place": f"m{vorkuta.pk}",
            "position": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()
    entry = FaqEntry.objects.get()
    assert (entry.municipality, entry.is_published) == (vorkuta, False)
    listing = client.get("/cabinet/content/faq/").content.decode()
    assert "Кто получает сертификат?" in listing and "Черновик" in listing
    assert client.post(f"/cabinet/content/faq/{entry.pk}/publish/").status_code == 302
    entry.refresh_from_db()
    assert entry.is_published
    response = client.post(
        f"/cabinet/content/faq/{entry.pk}/",
        {
            "topic": "2",
            "question": "Кто?",
            "answer": "Дети.",
            "place": f"m{vorkuta.pk}",
            "position": "3",
            "is_published": "on",
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.topic, entry.position, entry.question) == (2, 3, "Кто?")
    assert "Удалить" in client.get(f"/cabinet/content/faq/{entry.pk}/delete/").content.decode()
    assert client.post(f"/cabinet/content/faq/{entry.pk}/delete/").status_code == 302
    assert not FaqEntry.objects.exists()
    assert ActionLog.objects.filter(action__startswith="content.").count() == 4


def test_form_errors_are_shown_in_russian_on_their_fields(admin, region):
    client = client_of(admin)
    response = client.post(
        "/cabinet/content/videos/new/",
        {"title": "", "links": "ftp://example.org/v", "place": f"r{region.pk}", "position": "0"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Обязательное поле." in page
    response = client.post(
        "/cabinet/content/videos/new/",
        {
            "title": "Видео",
            "links": "ftp://example.org/v",
            "place": f"r{region.pk}",
            "position": "0",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Каждая ссылка — адрес, начинающийся с http:// или https://" in page
    response = client.post(
        "/cabinet/content/instructions/new/",
        {"title": "И", "body": "Т", "roles": ["root"], "place": f"r{region.pk}", "position": "0"},
    )
    assert response.status_code == 200
    assert "Выберите корректный вариант" in response.content.decode()


def test_rows_of_others_answer_404_in_the_cabinet(operator, inta_operator, region, vorkuta):
    item = services.create(
        actor=operator, kind="news", region=region, municipality=vorkuta, title="Н", body="Т"
    )
    client = client_of(inta_operator)
    for url in (
        f"/cabinet/content/news/{item.pk}/",
        f"/cabinet/content/news/{item.pk}/delete/",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/cabinet/content/news/{item.pk}/publish/").status_code == 404
    assert client.post(f"/cabinet/content/news/{item.pk}/delete/").status_code == 404
    assert News.objects.filter(pk=item.pk, is_published=False).exists()


def test_portal_card_and_municipality_page_forms(admin, operator, region, vorkuta, inta):
    client = client_of(admin)
    response = client.post(
        "/cabinet/content/portal/",
        {"operator_name": "МАУ «Центр»", "email": "не почта", "privacy_policy_url": ""},
    )
    assert response.status_code == 200 and "адрес электронной почты" in response.content.decode()
    response = client.post(
        "/cabinet/content/portal/",
        {"operator_name": "МАУ «Центр»", "privacy_policy_url": "https://e.org/p"},
    )
    assert response.status_code == 302
    assert PortalSettings.objects.get(region=region).operator_name == "МАУ «Центр»"
    assert client_of(operator).get("/cabinet/content/portal/").status_code == 403
    operator_client = client_of(operator)
    assert operator_client.get(f"/cabinet/content/municipalities/{inta.pk}/").status_code == 403
    response = operator_client.post(
        f"/cabinet/content/municipalities/{vorkuta.pk}/", {"certificate_text": "Онлайн.\n\nЛично."}
    )
    assert response.status_code == 302
    assert (
        MunicipalityPage.objects.get(municipality=vorkuta).certificate_text == "Онлайн.\n\nЛично."
    )


def test_expert_fills_their_public_card(expert, region, operator):
    client = client_of(expert)
    assert client.get("/cabinet/expert/profile/").status_code == 200
    response = client.post(
        "/cabinet/expert/profile/",
        {"region": region.pk, "post": "Методист", "description": "x" * 5001},
    )
    assert response.status_code == 200 and "5000" in response.content.decode()
    response = client.post(
        "/cabinet/expert/profile/", {"region": region.pk, "post": "Методист", "is_public": "on"}
    )
    assert response.status_code == 302
    card = ExpertProfile.objects.get(user=expert)
    assert (card.region, card.post, card.is_public) == (region, "Методист", True)
    assert client_of(operator).get("/cabinet/expert/profile/").status_code == 404


def test_public_pages_show_published_content_escaped(admin, region, vorkuta, operator):
    published = services.create(
        actor=admin, kind="news", region=region, title="Открыта запись",
        body="<b>жирно</b>\n\nВторой абзац", is_published=True,
    )  # fmt: skip
    draft = services.create(actor=admin, kind="news", region=region, title="Черновик", body="Т")
    services.create(
        actor=admin, kind="faq", region=region, question="Кто?", answer="Дети.",
        topic=2, is_published=True,
    )  # fmt: skip
    instruction = services.create(
        actor=admin, kind="instructions", region=region, title="Как записаться",
        body="Шаг 1.\n\nШаг 2.", is_published=True,
    )  # fmt: skip
    anonymous = Client()
    page = anonymous.get("/news/").content.decode()
    assert "Открыта запись" in page and "Черновик" not in page
    page = anonymous.get(f"/news/{published.pk}/").content.decode()
    assert "&lt;b&gt;жирно&lt;/b&gt;" in page and "<b>жирно" not in page
    assert "<p>Второй абзац</p>" in page
    assert anonymous.get(f"/news/{draft.pk}/").status_code == 404
    page = anonymous.get("/faq/").content.decode()
    assert "Запись в кружки" in page and "Кто?" in page
    page = anonymous.get(f"/instructions/{instruction.pk}/").content.decode()
    assert "<p>Шаг 1.</p>" in page
    assert "Как записаться" in anonymous.get("/instructions/").content.decode()
    # The footer links them.
    home = anonymous.get("/").content.decode()
    assert 'href="/news/"' in home and 'href="/faq/"' in home and 'href="/instructions/"' in home
