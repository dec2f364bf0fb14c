"""Base page views (scoped querysets, domain errors to form errors) and error pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.generic import DetailView, FormView, ListView

from pfdo.common.authz import authorize
from pfdo.common.errors import AccessDenied, DomainError, NotFound
from pfdo.common.http import json_error_response
from pfdo.common.querysets import scoped_queryset


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class ScopedQuerysetMixin:
    """Pages list and look up objects only through `model.objects.for_user(user)`."""

    model = None

    def get_queryset(self):
        return self.scope_queryset(scoped_queryset(self.model, self.request.user, owner=self))

    def scope_queryset(self, queryset):
        return queryset


class ScopedListView(ScopedQuerysetMixin, ListView):
    paginate_by = 50


class ScopedDetailView(ScopedQuerysetMixin, DetailView):
    pass


class ServiceFormView(FormView):
    """A form page whose valid submission is one service call.

    `perform(form)` calls the service; a `DomainError` it raises is shown on the form
    (field messages on their fields, the message on top) and nothing is written.
    """

    success_message: str = ""

    def perform(self, form):  # pragma: no cover - abstract
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.result = self.perform(form)
        except DomainError as exc:
            apply_domain_error(form, exc)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return super().form_valid(form)


def authorize_page(user, permission: str, obj=None, *, hide: bool = False):
    """`authorize()` for pages: a refusal is Django's 403 page (404 with `hide`)."""
    try:
        return authorize(user, permission, obj, hide=hide)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except AccessDenied as exc:
        raise PermissionDenied(exc.message) from exc


def apply_domain_error(form, exc: DomainError) -> None:
    for name, msgs in exc.fields.items():
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)
    if not exc.fields:
        form.add_error(None, exc.message)


def bad_request(request, exception=None):
    if _is_api(request):
        return json_error_response("bad_request", 400, "Некорректный запрос.")
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    if _is_api(request):
        return json_error_response("permission_denied", 403)
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    if _is_api(request):
        return json_error_response("not_found", 404, "Адрес не найден.")
    return render(request, "404.html", status=404)


def server_error(request):
    if _is_api(request):
        return json_error_response("server_error", 500)
    # No request context: its processors may touch the database, which may be what failed.
    return HttpResponseServerError(loader.get_template("500.html").render({}))


def csrf_failure(request, reason=""):
    if _is_api(request):
        return json_error_response(
            "csrf_failed", 403, "Запрос отклонён: нет CSRF-токена. Обновите страницу."
        )
    return render(request, "403_csrf.html", status=403)
