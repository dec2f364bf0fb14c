"""Content services: field checks in Russian, who edits what, audit rows, publication dates."""

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.audit.models import ActionLog
from pfdo.common import clock
from pfdo.common.errors import AccessDenied, NotFound, ValidationFailed
from pfdo.content import services
from pfdo.content.models import (
    ExpertProfile,
    FaqEntry,
    Instruction,
    MunicipalityPage,
    News,
    PortalSettings,
    UsefulContact,
    VideoInstruction,
)

pytestmark = pytest.mark.django_db


def news(actor, region, municipality=None, **values):
    values = {"title": "Запись открыта", "body": "Текст.", **values}
    return services.create(
        actor=actor, kind="news", region=region, municipality=municipality, **values
    )


# ------------------------------------------------------------------ creating and checking


def test_an_operator_adds_a_draft_news_item_of_their_municipality(operator, region, vorkuta):
    item = news(operator, region, vorkuta, title="  Запись\nоткрыта  ", body="Абзац.\r\n\r\nЕщё.")
    item.refresh_from_db()
    assert (item.title, item.body) == ("Запись открыта", "Абзац.\n\nЕщё.")
    assert not item.is_published and item.published_at is None
    assert item.updated_by == operator
    log = ActionLog.objects.get(action="content.created")
    assert (log.actor, log.municipality, log.object_id) == (operator, vorkuta, str(item.pk))
    assert log.details["kind"] == "news"


def test_every_bad_field_is_named_in_russian_and_nothing_is_written(operator, region, vorkuta):
    with pytest.raises(ValidationFailed) as caught:
        services.create(
            actor=operator,
            kind="news",
            region=region,
            municipality=vorkuta,
            title="x" * 301,
            body="",
            summary="a\x00b",
            color="red",
        )
    fields = caught.value.fields
    assert fields["title"] == ["Не длиннее 300 символов (сейчас 301)."]
    assert fields["body"] == ["Заполните это поле."]
    assert fields["summary"] == ["Текст содержит недопустимый символ."]
    assert fields["color"] == ["Это поле нельзя изменить."]
    assert not News.objects.exists()
    assert not ActionLog.objects.filter(action__startswith="content.").exists()


def test_required_fields_of_each_kind_are_asked_on_creation(admin, region):
    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=admin, kind="faq", region=region)
    assert set(caught.value.fields) == {"question", "answer"}


def test_a_municipality_of_another_region_is_refused(make_user, region, other_region):
    from pfdo.territory.tests.factories import MunicipalityFactory

    foreign = MunicipalityFactory(region=other_region)
    superuser = make_user(is_superuser=True)
    with pytest.raises(ValidationFailed) as caught:
        news(superuser, region, foreign)
    assert caught.value.fields == {"municipality": ["Муниципалитет не из этого региона."]}


def test_video_links_and_urls_must_be_http(admin, region):
    for links in (["ftp://example.org/v.mp4"], ["javascript:alert(1)"], [], "", ["x"] * 11):
        with pytest.raises(ValidationFailed) as caught:
            services.create(actor=admin, kind="videos", region=region, title="Видео", links=links)
        assert "links" in caught.value.fields, links
    video = services.create(
        actor=admin,
        kind="videos",
        region=region,
        title="Видео",
        links="https://example.org/a\n\n http://example.org/b ",
    )
    assert video.links == ["https://example.org/a", "http://example.org/b"]
    with pytest.raises(ValidationFailed) as caught:
        services.save_portal_settings(
            actor=admin, region=region, privacy_policy_url="javascript:alert(1)"
        )
    assert caught.value.fields == {
        "privacy_policy_url": ["Укажите адрес, начинающийся с http:// или https://."]
    }


def test_instruction_roles_are_known_role_codes_in_their_order(admin, region):
    with pytest.raises(ValidationFailed) as caught:
        services.create(
            actor=admin, kind="instructions", region=region, title="И", body="Т", roles=["root"]
        )
    assert caught.value.fields["roles"][0].startswith("Неизвестная роль: root.")
    item = services.create(
        actor=admin,
        kind="instructions",
        region=region,
        title="И",
        body="Т",
        roles=["operator", "parent", "operator"],
    )
    assert item.roles == ["parent", "operator"]


def test_faq_topic_and_contact_email_are_checked(admin, region):
    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=admin, kind="faq", region=region, question="?", answer="!", topic=9)
    assert caught.value.fields["topic"][0].startswith("Выберите одно из значений: 1 — Сертификат")
    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=admin, kind="contacts", region=region, name="Центр", email="нет")
    assert "email" in caught.value.fields
    contact = services.create(
        actor=admin, kind="contacts", region=region, name="Центр", email="a@example.org"
    )
    assert UsefulContact.objects.get().email == "a@example.org" == contact.email


# ------------------------------------------------------------------ who edits what


def test_an_operator_edits_only_rows_of_their_municipality(
    operator, inta_operator, admin, region, vorkuta, inta
):
    theirs = news(operator, region, vorkuta)
    # The region's rows are the administrator's.
    with pytest.raises(AccessDenied):
        news(operator, region, None)
    with pytest.raises(AccessDenied):
        news(operator, region, inta)
    regional = news(admin, region, None)
    with pytest.raises(NotFound):
        services.update(actor=operator, obj=regional, title="Чужое")
    with pytest.raises(NotFound):
        services.update(actor=inta_operator, obj=theirs, title="Чужое")
    with pytest.raises(NotFound):
        services.delete(actor=inta_operator, obj=theirs)
    with pytest.raises(NotFound):
        services.publish(actor=inta_operator, obj=theirs)
    # Moving a row out of one's municipality is refused too.
    with pytest.raises(AccessDenied):
        services.update(actor=operator, obj=theirs, municipality=inta)
    with pytest.raises(AccessDenied):
        services.update(actor=operator, obj=theirs, municipality=None)
    assert News.objects.get(pk=theirs.pk).municipality == vorkuta
    # The administrator edits every row of the region, municipal ones included.
    services.update(actor=admin, obj=theirs, title="Поправлено", municipality=inta)
    theirs.refresh_from_db()
    assert (theirs.title, theirs.municipality, theirs.updated_by) == ("Поправлено", inta, admin)


def test_other_roles_and_regions_edit_nothing(parent, expert, other_admin, region, admin):
    for actor in (parent, expert, other_admin, None):
        with pytest.raises((AccessDenied, NotFound)):
            news(actor, region, None)
    item = news(admin, region, None)
    for actor in (parent, expert, other_admin):
        with pytest.raises(NotFound):
            services.delete(actor=actor, obj=item)
    assert News.objects.filter(pk=item.pk).exists()


def test_portal_card_is_the_regional_administrators(admin, operator, other_admin, region):
    for actor in (operator, other_admin):
        with pytest.raises(AccessDenied):
            services.save_portal_settings(actor=actor, region=region, phone="1")
    card = services.save_portal_settings(actor=admin, region=region, phone=" +7 1 ", email="")
    assert (card.phone, card.updated_by) == ("+7 1", admin)
    services.save_portal_settings(actor=admin, region=region, operator_name="МАУ")
    card = PortalSettings.objects.get(region=region)
    assert (card.phone, card.operator_name) == ("+7 1", "МАУ")  # untouched fields stay
    logs = ActionLog.objects.filter(action="content.portal_saved").order_by("pk")
    assert [log.details["fields"] for log in logs] == [["phone"], ["operator_name"]]


def test_municipality_page_is_its_operators_and_the_regions(
    operator, inta_operator, admin, other_admin, vorkuta
):
    for actor in (inta_operator, other_admin):
        with pytest.raises(AccessDenied):
            services.save_municipality_page(actor=actor, municipality=vorkuta, certificate_text="")
    services.save_municipality_page(actor=operator, municipality=vorkuta, certificate_text="А")
    page = services.save_municipality_page(actor=admin, municipality=vorkuta, certificate_text="Б")
    assert MunicipalityPage.objects.get().certificate_text == "Б" == page.certificate_text
    assert ActionLog.objects.filter(action="content.municipality_page_saved").count() == 2


def test_an_expert_fills_their_own_card_and_picks_a_region(
    expert, make_user, admin, other_admin, region, other_region
):
    with pytest.raises(ValidationFailed) as caught:
        services.save_expert_profile(actor=expert, user=expert, post="Методист")
    assert caught.value.fields == {
        "region": ["Выберите регион, на портале которого показывать карточку."]
    }
    card = services.save_expert_profile(
        actor=expert, user=expert, region=other_region, post="Методист", is_public=True
    )
    assert (card.region, card.post, card.is_public) == (other_region, "Методист", True)
    # Later saves keep the region; the expert may move the card to another region.
    services.save_expert_profile(actor=expert, user=expert, description="О себе")
    card.refresh_from_db()
    assert (card.region, card.description) == (other_region, "О себе")
    # Another expert cannot touch it; the card's region's administrator can, another cannot.
    stranger = make_user("expert")
    with pytest.raises(AccessDenied):
        services.save_expert_profile(actor=stranger, user=expert, post="Взлом")
    with pytest.raises(AccessDenied):
        services.save_expert_profile(actor=admin, user=expert, post="Взлом")
    services.save_expert_profile(actor=other_admin, user=expert, is_public=False)
    assert ExpertProfile.objects.get().is_public is False
    # The administrator cannot pull it into a region they do not run.
    with pytest.raises(AccessDenied):
        services.save_expert_profile(actor=other_admin, user=expert, region=region)
    assert ActionLog.objects.filter(action="content.expert_profile_saved").count() == 3


def test_with_one_region_a_new_card_goes_there_without_asking(expert, region):
    card = services.save_expert_profile(actor=expert, user=expert, post="Методист")
    assert (card.region, card.post) == (region, "Методист")


def test_only_an_expert_has_an_expert_card(operator, admin, region):
    with pytest.raises(ValidationFailed) as caught:
        services.save_expert_profile(actor=admin, user=operator, region=region)
    assert caught.value.fields == {"user": ["Карточку можно завести только эксперту."]}


# ------------------------------------------------------------------ publishing


def test_a_news_item_is_dated_when_first_published_and_keeps_the_date(admin, region):
    item = news(admin, region)
    first = dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC)
    with clock.frozen(first):
        item = services.publish(actor=admin, obj=item)
    assert (item.is_published, item.published_at) == (True, first)
    with clock.frozen(first + dt.timedelta(days=3)):
        item = services.unpublish(actor=admin, obj=item)
        item = services.publish(actor=admin, obj=item)
    item.refresh_from_db()
    assert item.published_at == first
    actions = list(
        ActionLog.objects.filter(object_id=str(item.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "content.created",
        "content.published",
        "content.unpublished",
        "content.published",
    ]
    # Publishing what is already published changes and logs nothing.
    services.publish(actor=admin, obj=item)
    assert ActionLog.objects.filter(object_id=str(item.pk)).count() == 4


def test_published_on_creation_and_through_update(admin, region):
    with clock.frozen(dt.datetime(2026, 9, 2, tzinfo=dt.UTC)):
        item = news(admin, region, is_published=True)
    assert item.published_at == dt.datetime(2026, 9, 2, tzinfo=dt.UTC)
    faq = services.create(actor=admin, kind="faq", region=region, question="?", answer="!")
    services.update(actor=admin, obj=faq, is_published=True)
    assert FaqEntry.objects.published().count() == 1


def test_delete_removes_the_row_and_logs_its_title(operator, region, vorkuta):
    item = services.create(
        actor=operator,
        kind="instructions",
        region=region,
        municipality=vorkuta,
        title="Как записаться",
        body="Шаги.",
    )
    services.delete(actor=operator, obj=item)
    assert not Instruction.objects.exists()
    log = ActionLog.objects.get(action="content.deleted")
    assert log.details == {"kind": "instructions", "title": "Как записаться"}


def test_drafts_are_seen_by_their_editors_only(
    operator, inta_operator, admin, parent, region, vorkuta
):
    from django.contrib.auth.models import AnonymousUser

    draft = services.create(
        actor=operator,
        kind="videos",
        region=region,
        municipality=vorkuta,
        title="Черновик",
        links=["https://example.org/v"],
    )
    for user in (operator, admin):
        assert list(VideoInstruction.objects.for_user(user)) == [draft]
    for user in (inta_operator, parent, AnonymousUser()):
        assert not VideoInstruction.objects.for_user(user).exists()
    services.publish(actor=operator, obj=draft)
    assert VideoInstruction.objects.for_user(AnonymousUser()).count() == 1
