"""Every API failure has the one documented error body; pages get styled error pages."""

import json

import pytest
from django.test import RequestFactory

from pfdo.common import views
from pfdo.common.api.errors import exception_handler
from pfdo.common.errors import Conflict


def test_unknown_api_url_is_a_json_404(client, db):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unknown_page_is_a_styled_russian_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Страница не найдена" in text and "pico.min.css" in text
    assert "Traceback" not in text


def test_method_not_allowed_has_the_body(api_client, db):
    response = api_client.put("/api/v1/municipalities/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_domain_error_maps_to_its_status_and_code():
    response = exception_handler(Conflict("Уже оплачено.", code="already_paid"), {})
    assert response.status_code == 409
    assert response.data == {
        "error": {"code": "already_paid", "message": "Уже оплачено.", "fields": {}}
    }


def test_server_error_is_json_under_api_and_a_page_elsewhere():
    rf = RequestFactory()
    api = views.server_error(rf.get("/api/v1/x/"))
    assert api.status_code == 500
    assert json.loads(api.content)["error"]["code"] == "server_error"
    page = views.server_error(rf.get("/x/"))
    assert page.status_code == 500
    assert "Что-то пошло не так" in page.content.decode()


@pytest.mark.parametrize(("path", "status"), [("/api/v1/x/", 403), ("/x/", 403)])
def test_csrf_failure(path, status):
    response = views.csrf_failure(RequestFactory().post(path))
    assert response.status_code == status


def test_csrf_is_enforced_on_pages(db, make_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Форма устарела" in response.content.decode()


def test_unhandled_exception_gives_no_stack_trace(db, settings):
    from django.test import Client
    from django.urls import path

    def boom(request):
        raise RuntimeError("secret detail")

    class Urls:
        urlpatterns = [path("api/v1/boom/", boom), path("boom/", boom)]
        handler500 = "pfdo.common.views.server_error"

    settings.ROOT_URLCONF = Urls
    client = Client(raise_request_exception=False)
    api = client.get("/api/v1/boom/")
    assert api.status_code == 500 and api.json()["error"]["code"] == "server_error"
    page = client.get("/boom/")
    assert page.status_code == 500
    assert "secret detail" not in page.content.decode()
    assert "Traceback" not in page.content.decode()


def test_schema_declares_the_error_body_for_every_operation(client, db):
    schema = client.get("/api/schema/?format=json").json()
    assert "Error" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue  # the ПФДО API v2 compatibility section has the original's error bodies
        for method, operation in operations.items():
            for code in ("400", "401", "403", "404", "409"):
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"]["$ref"].endswith("/Error"), (path, method, code)


def test_swagger_ui_is_served_offline(client, db):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "swagger-ui" in text
    assert "cdn" not in text.lower() and "https://" not in text
