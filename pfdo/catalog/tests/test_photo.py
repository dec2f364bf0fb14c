"""The programme photo: checked by content, replaced or removed by the provider, shown to parents."""

# ruff: noqa: F811  (fixtures are imported from manage_fixtures and requested by name)

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from pfdo.audit.models import ActionLog
from pfdo.catalog import services
from pfdo.catalog.tests.factories import ProgramFactory
from pfdo.catalog.tests.manage_fixtures import (  # noqa: F401  (fixtures)
    _today,
    other_provider,
    other_staff,
    period,
    provider,
    staff,
)
from pfdo.common.errors import AccessDenied, ValidationFailed


def image_file(name="photo.png", fmt="PNG", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def test_provider_sets_replaces_and_removes_the_photo(staff, provider):
    program = ProgramFactory(provider=provider)
    program = services.set_program_photo(actor=staff, program=program, photo=image_file())
    assert program.photo.name.endswith(".png")
    program = services.set_program_photo(
        actor=staff, program=program, photo=image_file("x.jpg", "JPEG")
    )
    assert program.photo.name.endswith(".jpg")
    program = services.set_program_photo(actor=staff, program=program, photo=None)
    assert not program.photo
    codes = list(
        ActionLog.objects.filter(object_id=str(program.pk)).values_list("action", flat=True)
    )
    assert codes.count("catalog.photo_changed") == 2 and "catalog.photo_removed" in codes


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("photo.png", b"this is not an image", content_type="image/png"),
        SimpleUploadedFile("photo.gif", b"GIF89a" + b"\x00" * 40, content_type="image/gif"),
    ],
)
def test_non_images_are_refused_by_content(staff, provider, upload):
    program = ProgramFactory(provider=provider)
    with pytest.raises(ValidationFailed) as exc:
        services.set_program_photo(actor=staff, program=program, photo=upload)
    assert "photo" in exc.value.fields
    program.refresh_from_db()
    assert not program.photo


def test_another_provider_cannot_change_the_photo(other_staff, provider):
    program = ProgramFactory(provider=provider)
    with pytest.raises(AccessDenied):
        services.set_program_photo(actor=other_staff, program=program, photo=image_file())


def test_page_upload_and_public_display(client, staff, provider):
    program = ProgramFactory(provider=provider)
    client.force_login(staff)
    url = reverse("catalog_manage:program_photo", args=[program.pk])
    empty = client.post(url, {})
    assert "Выберите файл" in empty.content.decode()
    bad = client.post(url, {"photo": SimpleUploadedFile("a.png", b"nope")})
    assert "Это не изображение" in bad.content.decode()
    ok = client.post(url, {"photo": image_file()})
    assert ok.status_code == 302
    program.refresh_from_db()
    client.logout()
    page = client.get(reverse("catalog:program_detail", args=[program.pk])).content.decode()
    assert program.photo.url in page


def test_api_upload_and_delete(api_client, staff, provider, other_staff):
    program = ProgramFactory(provider=provider)
    url = f"/api/v1/programs/{program.pk}/photo/"
    api_client.force_authenticate(other_staff)
    assert api_client.put(url, {"photo": image_file()}, format="multipart").status_code == 403
    api_client.force_authenticate(staff)
    bad = api_client.put(url, {"photo": SimpleUploadedFile("a.png", b"nope")}, format="multipart")
    assert bad.status_code == 400
    assert "photo" in bad.json()["error"]["fields"]
    ok = api_client.put(url, {"photo": image_file()}, format="multipart")
    assert ok.status_code == 200
    assert ok.json()["photo_url"].startswith("http://testserver/media/programs/")
    gone = api_client.delete(url)
    assert gone.status_code == 200 and gone.json()["photo_url"] is None
