"""What the payer's and officials' billing pages share: who may open them, the
municipalities a user works in, filters bound to one of them, htmx fragments, errors."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils.cache import patch_vary_headers

from pfdo.accounts.roles import Role
from pfdo.common.authz import can
from pfdo.common.errors import DomainError
from pfdo.territory.models import Municipality

TEMPLATES = "billing/payer/"


class OfficialMixin(LoginRequiredMixin):
    """The municipality's operator, payer, the regional administrator, superusers (else 403).
    Objects come from their municipalities only (else 404)."""

    permission = "billing.official_pages"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return self.handle_no_permission()
        if not can(user, self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class PayerMixin(OfficialMixin):
    permission = "billing.payer_pages"


def municipalities_of(user, *, payer_only: bool = False) -> list[Municipality]:
    """The municipalities whose billing the user reads (or, `payer_only`, acts on)."""
    qs = Municipality.objects.order_by("name", "pk")
    if user.is_superuser:
        return list(qs.filter(is_active=True))
    if payer_only:
        scope = Q(pk__in=user.municipality_ids_for(Role.PAYER))
    else:
        scope = Q(pk__in=user.municipality_ids_for(Role.OPERATOR, Role.PAYER)) | Q(
            region_id__in=user.region_ids_for(Role.REGIONAL_ADMIN)
        )
    return list(qs.filter(scope))


def pick(municipalities: list[Municipality], code: str | None) -> Municipality:
    """The municipality asked for by its code (the first one when none is asked); 404 outside
    the user's scope."""
    if not municipalities:
        raise Http404
    if not code:
        return municipalities[0]
    for municipality in municipalities:
        if municipality.code == code:
            return municipality
    raise Http404


def bound(request_data, municipality: Municipality, **defaults) -> Any:
    """The query with the municipality and defaults filled in, so filter forms always bind."""
    data = request_data.copy()
    if not data.get("municipality"):
        data["municipality"] = municipality.code
    for name, value in defaults.items():
        if not data.get(name):
            data[name] = value
    return data


def htmx_partial(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def with_vary(response):
    # The same URL answers a fragment to htmx and a page to the browser: caches must tell.
    patch_vary_headers(response, ["HX-Request"])
    return response


def apply_error(form, exc: DomainError, rename: dict[str, str] | None = None) -> None:
    """The service's message on top, its field messages on the form's fields."""
    rename = rename or {}
    if exc.message and exc.message != type(exc).default_message:
        form.add_error(None, exc.message)
    for name, msgs in exc.fields.items():
        name = rename.get(name, name)
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)
    if not exc.fields and not form.non_field_errors():
        form.add_error(None, exc.message)
