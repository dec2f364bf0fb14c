"""Hostile input to the catalogue answers 400 with the error body (API) or a field message
(page), never 500: JSON nested 50,000 deep, a PNG whose header claims 30000×30000."""

# ruff: noqa: F811  (fixtures are imported from manage_fixtures and requested by name)

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from pfdo.catalog.tests.factories import DraftProgramFactory
from pfdo.catalog.tests.manage_fixtures import (  # noqa: F401  (fixtures)
    _today,
    provider,
    staff,
)

TOO_BIG = "Изображение слишком большое: не более 8000×8000 пикселей"


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims `width`×`height` grey pixels (a few rows
    of data follow: enough for a decoder to start, nothing like the size it claims)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def bomb() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.png", png_claiming(30000, 30000), content_type="image/png")


def real_png(size) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def program(provider):
    return DraftProgramFactory(provider=provider, name="Шахматы")


def test_photo_claiming_30000_square_is_a_field_error_in_the_api(api_client, staff, program):
    api_client.force_authenticate(staff)
    response = api_client.put(
        f"/api/v1/programs/{program.pk}/photo/", {"photo": bomb()}, format="multipart"
    )
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["photo"][0].startswith(TOO_BIG)
    program.refresh_from_db()
    assert not program.photo


def test_photo_claiming_30000_square_is_a_field_error_on_the_page(staff, program):
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    url = reverse("catalog_manage:program_photo", args=[program.pk])
    response = client.post(url, {"photo": bomb()})
    assert response.status_code == 200
    assert TOO_BIG in response.content.decode()
    program.refresh_from_db()
    assert not program.photo


def test_photo_limits_are_settings(api_client, staff, program, settings):
    api_client.force_authenticate(staff)
    url = f"/api/v1/programs/{program.pk}/photo/"
    settings.PFDO_IMAGE_MAX_SIDE = 100
    wide = api_client.put(url, {"photo": real_png((101, 10))}, format="multipart")
    assert wide.json()["error"]["fields"]["photo"] == [
        "Изображение слишком большое: не более 100×100 пикселей (в этом файле 101×10)."
    ]
    settings.PFDO_IMAGE_MAX_PIXELS = 5000
    many = api_client.put(url, {"photo": real_png((80, 80))}, format="multipart")
    assert "всего не более 0.005 млн пикселей" in many.json()["error"]["fields"]["photo"][0]
    fits = api_client.put(url, {"photo": real_png((70, 70))}, format="multipart")
    assert fits.status_code == 200, fits.content


def test_patch_of_a_programme_nested_50000_deep_is_400(api_client, staff, program):
    api_client.force_authenticate(staff)
    body = '{"name": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = api_client.generic(
        "PATCH", f"/api/v1/programs/{program.pk}/", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["code"] == "malformed_request"
    program.refresh_from_db()
    assert program.name == "Шахматы"
