"""Base page views (scoped querysets, domain errors to form errors) and error pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django.views.generic import DetailView, FormView, ListView

from pfdo.common import low_vision
from pfdo.common.authz import authorize
from pfdo.common.errors import AccessDenied, DomainError, NotFound
from pfdo.common.forms import LowVisionForm
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


def authorize_page(
    user, permission: str, obj=None, *, hide: bool = False, message: str | None = None
):
    """`authorize()` for pages: a refusal is Django's 403 page (404 with `hide`)."""
    try:
        return authorize(user, permission, obj, hide=hide, message=message)
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
    # The low-vision classes come from the cookie alone, so the page keeps them.
    return HttpResponseServerError(
        loader.get_template("500.html").render(low_vision.template_context(request))
    )


def csrf_failure(request, reason=""):
    if _is_api(request):
        return json_error_response(
            "csrf_failed", 403, "Запрос отклонён: нет CSRF-токена. Обновите страницу."
        )
    return render(request, "403_csrf.html", status=403)


def local_next(request, value: str | None) -> str:
    """`value` if it is an address on this site to go back to, else "" (never an open redirect:
    `https://evil.example/`, `//evil.example`, `javascript:` and the like are refused)."""
    value = (value or "").strip()
    if not value.startswith("/") or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return ""
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return value


@require_http_methods(["GET", "POST"])
def low_vision_settings(request):
    """The settings of the version for the visually impaired, kept in a cookie (no login).

    POST (the form on this page or the quick panel under the header on every page) stores the
    choice and goes back to `next`; a submission it cannot read shows this page again (400).
    """
    current = low_vision.from_request(request)
    if request.method == "POST":
        form = LowVisionForm(request.POST)
        if form.is_valid():
            chosen = form.chosen(current)
            target = local_next(request, form.cleaned_data["next"])
            response = redirect(target or reverse("common:accessibility"))
            low_vision.remember(response, request, chosen)
            if "save" in request.POST:
                messages.success(
                    request,
                    "Настройки версии для слабовидящих сохранены."
                    if chosen.is_on
                    else "Включена обычная версия сайта.",
                )
            return response
        back = local_next(request, request.POST.get("next"))
        status = 400
    else:
        back = local_next(request, request.GET.get("next"))
        proposed = current if current.is_on else low_vision.STARTER
        form = LowVisionForm(initial={**LowVisionForm.initial_for(proposed), "next": back})
        status = 200
    return render(
        request,
        "common/low_vision.html",
        {"form": form, "back": back},
        status=status,
    )
