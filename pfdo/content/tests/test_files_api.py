"""API of the content files: PUT (multipart `file`) and DELETE of a news picture, an
instruction's PDF and the privacy-policy file; a bad file is a 400 naming `file`."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pfdo.audit.models import ActionLog
from pfdo.content import services
from pfdo.content.models import Instruction, PortalSettings
from pfdo.content.tests.test_files import PDF, image_file, pdf_file

pytestmark = pytest.mark.django_db


def signed_in(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def instruction(admin, region):
    return services.create(
        actor=admin,
        kind="instructions",
        region=region,
        title="Как записаться",
        body="Шаги.",
        is_published=True,
    )


def test_an_administrator_uploads_and_removes_an_instruction_pdf(api_client, admin, instruction):
    client = signed_in(api_client, admin)
    url = f"/api/v1/content/instructions/{instruction.pk}/pdf/"
    response = client.put(url, {"file": pdf_file()}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    instruction.refresh_from_db()
    assert body["pdf_url"] == f"http://testserver{instruction.pdf.url}"
    assert body["pdf_url"].endswith(".pdf") and body["title"] == "Как записаться"
    response = client.delete(url)
    assert response.status_code == 200 and response.json()["pdf_url"] is None
    instruction.refresh_from_db()
    assert not instruction.pdf
    actions = list(ActionLog.objects.values_list("action", flat=True).order_by("pk"))
    assert actions == ["content.created", "content.updated", "content.updated"]
    # Removing again changes nothing.
    assert client.delete(url).status_code == 200
    assert ActionLog.objects.count() == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"file": SimpleUploadedFile("a.pdf", b"hello")}, "Это не PDF"),
        ({}, ""),
        ({"file": pdf_file(), "title": "x"}, ""),
    ],
)
def test_a_bad_upload_is_a_400_naming_the_part(api_client, admin, instruction, data, message):
    client = signed_in(api_client, admin)
    response = client.put(
        f"/api/v1/content/instructions/{instruction.pk}/pdf/", data, format="multipart"
    )
    error = assert_error(response, 400, "validation_error")
    assert set(error["fields"]) == ({"file"} if "title" not in data else {"title"})
    assert message in error["fields"].get("file", [""])[0]
    instruction.refresh_from_db()
    assert not instruction.pdf
    assert not ActionLog.objects.filter(action="content.updated").exists()


def test_a_json_body_is_refused(api_client, admin, instruction):
    client = signed_in(api_client, admin)
    response = client.put(
        f"/api/v1/content/instructions/{instruction.pk}/pdf/", {"file": "x"}, format="json"
    )
    assert response.status_code == 415


def test_who_may_upload(api_client, operator, parent, instruction):
    url = f"/api/v1/content/instructions/{instruction.pk}/pdf/"
    # Anonymous: 401/403; a parent: 403; an operator on a region-wide row: 403.
    assert api_client.put(url, {"file": pdf_file()}, format="multipart").status_code in {401, 403}
    for user in (parent, operator):
        response = signed_in(api_client, user).put(url, {"file": pdf_file()}, format="multipart")
        assert_error(response, 403, "permission_denied")
    assert not Instruction.objects.get().pdf


def test_an_operator_sets_a_news_picture(api_client, operator, region, vorkuta):
    item = services.create(
        actor=operator, kind="news", region=region, municipality=vorkuta, title="Т", body="Т"
    )
    client = signed_in(api_client, operator)
    url = f"/api/v1/content/news/{item.pk}/image/"
    bad = client.put(url, {"file": pdf_file()}, format="multipart")
    assert "Это не изображение" in assert_error(bad, 400, "validation_error")["fields"]["file"][0]
    ok = client.put(url, {"file": image_file("p.webp", "WEBP")}, format="multipart")
    assert ok.status_code == 200 and ok.json()["image_url"].endswith(".webp")
    # Kinds without a file have no such route.
    assert client.put(f"/api/v1/content/faq/{item.pk}/pdf/").status_code == 404


def test_the_privacy_policy_file_of_a_region(api_client, admin, operator, region, other_region):
    url = f"/api/v1/content/portal/{region.pk}/privacy-policy-file/"
    client = signed_in(api_client, admin)
    # Nothing to remove: 200, no card made.
    empty = client.delete(url)
    assert empty.status_code == 200 and empty.json()["privacy_policy_file_url"] is None
    assert not PortalSettings.objects.exists()
    bad = client.put(url, {"file": image_file()}, format="multipart")
    assert "Это не PDF" in assert_error(bad, 400, "validation_error")["fields"]["file"][0]
    ok = client.put(url, {"file": pdf_file(content=PDF)}, format="multipart")
    assert ok.status_code == 200, ok.content
    link = ok.json()["privacy_policy_file_url"]
    assert link.startswith("http://testserver/media/content/privacy/privacy-policy-")
    assert (
        api_client.get(f"/api/v1/content/portal/{region.pk}/").json()["privacy_policy_file_url"]
        == link
    )
    other = client.put(
        f"/api/v1/content/portal/{other_region.pk}/privacy-policy-file/",
        {"file": pdf_file()},
        format="multipart",
    )
    assert_error(other, 403, "permission_denied")
    response = signed_in(api_client, operator).delete(url)
    assert_error(response, 403, "permission_denied")
    removed = signed_in(api_client, admin).delete(url)
    assert removed.status_code == 200 and removed.json()["privacy_policy_file_url"] is None
    assert client.delete(f"/api/v1/content/portal/{10**9}/privacy-policy-file/").status_code == 404
