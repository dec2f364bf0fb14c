"""The scoping base classes cannot be used without for_user and a permission map."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIRequestFactory, force_authenticate

from pfdo.common.api.permissions import RulesPermission
from pfdo.common.api.viewsets import ScopedReadOnlyViewSet
from pfdo.common.querysets import ScopedQuerySet

# Models users never reach through a page or the API (framework and history tables).
NOT_USER_FACING_APPS = {"admin", "auth", "contenttypes", "sessions", "axes"}


def test_every_project_model_has_for_user():
    missing = []
    for model in apps.get_models():
        if model._meta.app_label in NOT_USER_FACING_APPS:
            continue
        if model.__module__.startswith("pfdo.") and not model.__name__.startswith("Historical"):
            manager = model._default_manager
            if not isinstance(manager.all(), ScopedQuerySet):
                missing.append(model._meta.label)
    assert missing == []


class _NoModel(ScopedReadOnlyViewSet):
    permission_map = {"list": None}


def test_viewset_without_model_is_refused():
    view = _NoModel()
    view.request = APIRequestFactory().get("/")
    view.request.user = None
    with pytest.raises(ImproperlyConfigured):
        view.get_queryset()


class _FakeView:
    def __init__(self, action, permission_map, request):
        self.action = action
        self.action_map = {"get": action} if action else {}
        self.permission_map = permission_map
        self.request = request


@pytest.mark.parametrize(
    ("action", "permission_map", "allowed"),
    [
        ("list", {"list": None}, True),
        ("destroy", {"list": None}, False),  # an action missing from the map is refused
        ("list", {"list": "accounts.list_users"}, False),
    ],
)
def test_rules_permission(make_user, action, permission_map, allowed, db):
    request = APIRequestFactory().get("/")
    user = make_user()
    force_authenticate(request, user)
    request.user = user
    assert (
        RulesPermission().has_permission(request, _FakeView(action, permission_map, request))
        is allowed
    )


def test_options_describes_an_endpoint_without_credentials(api_client, db):
    response = api_client.options("/api/v1/municipalities/")
    assert response.status_code == 200
    assert response.json()["name"]


def test_page_forms_refuse_a_nul_byte_in_a_choice(client, db, vorkuta):
    """A NUL byte cannot reach PostgreSQL through a model choice: a field error, no 500."""
    response = client.post(
        "/providers/apply/", {"municipality": "1\x00", "legal_form": "ngo", "confirm": "on"}
    )
    assert response.status_code == 200
    assert "municipality" in response.context["form"].errors
