"""Files of the portal content (a news item's picture, an instruction's PDF, the privacy-policy
document): checked by content, stored under a generated name, replaced and removed with the old
file deleted after the commit; the cabinet forms and the public pages."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from pfdo.audit.models import ActionLog
from pfdo.common.errors import AccessDenied, NotFound, ValidationFailed
from pfdo.content import services
from pfdo.content.models import News, PortalSettings

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


def pdf_file(name="Иванов паспорт.pdf", content=PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def image_file(name="picture.png", fmt="PNG", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def instruction(admin, region):
    return services.create(
        actor=admin,
        kind="instructions",
        region=region,
        title="Как записаться",
        body="Шаги.",
        roles=["parent"],
        is_published=True,
    )


@pytest.fixture
def item(operator, region, vorkuta):
    return services.create(
        actor=operator,
        kind="news",
        region=region,
        municipality=vorkuta,
        title="Открыта запись в кружки",
        body="Текст.",
        is_published=True,
    )


def stored(field) -> bytes:
    with default_storage.open(field.name) as handle:
        return handle.read()


# ------------------------------------------------------------------ services


def test_a_pdf_is_stored_under_a_generated_name_with_an_audit_row(admin, instruction):
    instruction = services.set_file(actor=admin, obj=instruction, upload=pdf_file())
    instruction.refresh_from_db()
    assert re.fullmatch(
        rf"content/instructions/\d{{4}}/instruction-{instruction.pk}-[0-9a-f]{{16}}\.pdf",
        instruction.pdf.name,
    )
    assert "Иванов" not in instruction.pdf.name
    assert stored(instruction.pdf) == PDF
    log = ActionLog.objects.filter(action="content.updated").get()
    assert log.details["fields"] == ["pdf"]
    assert log.details["file"] == {"field": "pdf", "removed": False, "size": len(PDF)}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>%PDF-1.4</html>", "Это не PDF"),
        (b"%PDF", "Это не PDF"),
        (b"", "Файл пустой"),
    ],
)
def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_written(
    admin, instruction, content, message
):
    with pytest.raises(ValidationFailed) as caught:
        services.set_file(actor=admin, obj=instruction, upload=pdf_file(content=content))
    assert message in caught.value.fields["pdf"][0]
    instruction.refresh_from_db()
    assert not instruction.pdf
    assert not ActionLog.objects.filter(action="content.updated").exists()


def test_a_pdf_over_the_setting_is_refused(admin, instruction, settings):
    settings.PFDO_CONTENT_PDF_MAX_BYTES = 5 * services.MB
    big = pdf_file(content=PDF + b"0" * (5 * services.MB))
    with pytest.raises(ValidationFailed) as caught:
        services.set_file(actor=admin, obj=instruction, upload=big)
    assert caught.value.fields["pdf"] == ["Файл — не больше 5 МБ (этот — 5,1 МБ)."]
    instruction.refresh_from_db()
    assert not instruction.pdf
    # Exactly at the limit passes.
    exact = pdf_file(content=PDF + b"0" * (5 * services.MB - len(PDF)))
    assert services.set_file(actor=admin, obj=instruction, upload=exact).pdf


def test_a_value_that_is_not_a_file_is_refused(admin, instruction):
    with pytest.raises(ValidationFailed) as caught:
        services.update(actor=admin, obj=instruction, pdf=PDF)
    assert caught.value.fields == {"pdf": ["Ожидается файл."]}


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("a.png", b"not an image at all"), "Это не изображение"),
        (image_file("a.gif", "GIF"), "JPEG, PNG или WebP"),
        (image_file("wide.png", size=(8001, 2)), "Изображение слишком большое"),
    ],
)
def test_a_news_picture_is_checked_as_the_programme_photo_is(operator, item, upload, message):
    with pytest.raises(ValidationFailed) as caught:
        services.set_file(actor=operator, obj=item, upload=upload)
    assert message in caught.value.fields["image"][0]
    item.refresh_from_db()
    assert not item.image


def test_a_picture_is_replaced_and_removed_the_old_file_deleted_after_commit(
    operator, item, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = services.set_file(actor=operator, obj=item, upload=image_file())
    first = item.image.name
    assert re.fullmatch(rf"content/news/\d{{4}}/news-{item.pk}-[0-9a-f]{{16}}\.png", first)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = services.set_file(actor=operator, obj=item, upload=image_file("b.jpg", "JPEG"))
    # Until the commit the old file is still there (a rollback would still point at it).
    assert item.image.name.endswith(".jpg") and default_storage.exists(first)
    for callback in callbacks:
        callback()
    assert not default_storage.exists(first)
    second = item.image.name
    with django_capture_on_commit_callbacks(execute=True):
        item = services.set_file(actor=operator, obj=item, upload=None)
    item.refresh_from_db()
    assert item.image.name == ""
    assert not default_storage.exists(second)
    log = ActionLog.objects.filter(action="content.updated").latest("pk")
    assert log.details["file"] == {"field": "image", "removed": True}
    # Removing what is not there writes nothing.
    count = ActionLog.objects.count()
    services.set_file(actor=operator, obj=item, upload=None)
    assert ActionLog.objects.count() == count


def test_a_failed_transaction_takes_its_new_file_back(admin, instruction, monkeypatch):
    instruction = services.set_file(actor=admin, obj=instruction, upload=pdf_file())
    old = instruction.pdf.name

    def fail(**kwargs):
        raise RuntimeError("audit is down")

    folder = old.rsplit("/", 1)[0]
    before = set(default_storage.listdir(folder)[1])
    monkeypatch.setattr(services.audit, "record", fail)
    with pytest.raises(RuntimeError):
        services.set_file(actor=admin, obj=instruction, upload=pdf_file())
    instruction.refresh_from_db()
    assert instruction.pdf.name == old and default_storage.exists(old)
    # The file stored for the failed change is gone again.
    assert set(default_storage.listdir(folder)[1]) == before


def test_a_row_is_created_with_its_file_or_not_at_all(operator, region, vorkuta):
    values = {"title": "С картинкой", "body": "Текст."}
    with pytest.raises(ValidationFailed) as caught:
        services.create(
            actor=operator,
            kind="news",
            region=region,
            municipality=vorkuta,
            image=SimpleUploadedFile("a.png", b"nope"),
            **{**values, "title": ""},
        )
    # Every problem at once: the text field and the file.
    assert set(caught.value.fields) == {"title", "image"}
    assert not News.objects.exists()
    item = services.create(
        actor=operator,
        kind="news",
        region=region,
        municipality=vorkuta,
        image=image_file(),
        **values,
    )
    assert item.image.name.startswith("content/news/") and f"news-{item.pk}-" in item.image.name
    log = ActionLog.objects.get(action="content.created")
    assert "image" in log.details["fields"] and log.details["file"]["removed"] is False


def test_an_operator_cannot_attach_a_file_to_a_region_wide_instruction(operator, instruction):
    # As every other change of a row the operator may not edit: as if it did not exist.
    with pytest.raises(NotFound):
        services.set_file(actor=operator, obj=instruction, upload=pdf_file())


def test_the_privacy_policy_file_of_the_portal_card(
    admin, operator, region, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationFailed) as caught:
        services.set_privacy_policy_file(actor=admin, region=region, upload=image_file())
    assert "Это не PDF" in caught.value.fields["privacy_policy_file"][0]
    assert not PortalSettings.objects.exists()
    # Removing from a card that does not exist creates nothing.
    card = services.set_privacy_policy_file(actor=admin, region=region, upload=None)
    assert card.pk is None and not PortalSettings.objects.exists()
    card = services.set_privacy_policy_file(actor=admin, region=region, upload=pdf_file())
    assert re.fullmatch(
        rf"content/privacy/privacy-policy-{card.pk}-[0-9a-f]{{16}}\.pdf",
        card.privacy_policy_file.name,
    )
    log = ActionLog.objects.get(action="content.portal_saved")
    assert log.details["fields"] == ["privacy_policy_file"] and log.details["created"]
    with pytest.raises(AccessDenied):
        services.set_privacy_policy_file(actor=operator, region=region, upload=None)
    name = card.privacy_policy_file.name
    with django_capture_on_commit_callbacks(execute=True):
        card = services.set_privacy_policy_file(actor=admin, region=region, upload=None)
    card.refresh_from_db()
    assert not card.privacy_policy_file and not default_storage.exists(name)


# ------------------------------------------------------------------ pages


def test_the_instruction_form_uploads_a_pdf_with_errors_in_russian(admin, instruction):
    client = client_of(admin)
    url = f"/cabinet/content/instructions/{instruction.pk}/"
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="pdf"' in page
    assert 'name="pdf_remove"' not in page  # nothing to remove yet
    data = {
        "title": instruction.title,
        "body": instruction.body,
        "roles": ["parent"],
        "place": f"r{instruction.region_id}",
        "position": "0",
        "is_published": "on",
    }
    bad = client.post(url, {**data, "pdf": SimpleUploadedFile("x.pdf", b"GIF89a")})
    assert bad.status_code == 200
    assert "Это не PDF: загрузите документ в формате PDF." in bad.content.decode()
    assert 'id="id_pdf_error"' in bad.content.decode()
    instruction.refresh_from_db()
    assert not instruction.pdf
    ok = client.post(url, {**data, "pdf": pdf_file()})
    assert ok.status_code == 302
    instruction.refresh_from_db()
    assert instruction.pdf.name.endswith(".pdf")
    page = client.get(url).content.decode()
    # The current file with its link and the remove checkbox.
    assert f'href="{instruction.pdf.url}"' in page and 'name="pdf_remove"' in page
    both = client.post(url, {**data, "pdf": pdf_file(), "pdf_remove": "on"})
    assert "не то и другое" in both.content.decode()
    removed = client.post(url, {**data, "pdf_remove": "on"})
    assert removed.status_code == 302
    instruction.refresh_from_db()
    assert not instruction.pdf
    assert 'style="' not in page and "<style" not in page


def test_a_news_item_is_created_with_its_picture_from_the_page(operator, vorkuta):
    client = client_of(operator)
    assert 'name="image"' in client.get("/cabinet/content/news/new/").content.decode()
    data = {"title": "Фото", "body": "Текст.", "place": f"m{vorkuta.pk}", "position": "0"}
    bad = client.post("/cabinet/content/news/new/", {**data, "image": pdf_file()})
    assert "Это не изображение" in bad.content.decode()
    assert not News.objects.exists()
    ok = client.post("/cabinet/content/news/new/", {**data, "image": image_file()})
    assert ok.status_code == 302
    assert News.objects.get().image.name.endswith(".png")


def test_the_portal_card_takes_the_privacy_policy_file(admin, region):
    client = client_of(admin)
    page = client.get("/cabinet/content/portal/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="privacy_policy_file"' in page
    bad = client.post("/cabinet/content/portal/", {"privacy_policy_file": image_file()})
    assert "Это не PDF" in bad.content.decode()
    assert not PortalSettings.objects.exists()
    ok = client.post(
        "/cabinet/content/portal/", {"operator_name": "МАУ", "privacy_policy_file": pdf_file()}
    )
    assert ok.status_code == 302
    card = PortalSettings.objects.get()
    assert card.operator_name == "МАУ" and card.privacy_policy_file.name.endswith(".pdf")
    assert card.privacy_policy_file.url in client.get("/cabinet/content/portal/").content.decode()


def test_public_pages_link_the_pdf_and_show_the_picture(admin, operator, instruction, item):
    anonymous = Client()
    page = anonymous.get(f"/instructions/{instruction.pk}/").content.decode()
    assert "Скачать PDF" not in page
    instruction = services.set_file(actor=admin, obj=instruction, upload=pdf_file())
    page = anonymous.get(f"/instructions/{instruction.pk}/").content.decode()
    assert "Скачать PDF" in page and instruction.pdf.url in page
    assert instruction.pdf.url in anonymous.get("/instructions/").content.decode()
    item = services.set_file(actor=operator, obj=item, upload=image_file())
    listing = anonymous.get("/news/").content.decode()
    assert f'<img src="{item.image.url}" alt="Открыта запись в кружки"' in listing
    detail = anonymous.get(f"/news/{item.pk}/").content.decode()
    assert f'alt="{item.title}"' in detail
