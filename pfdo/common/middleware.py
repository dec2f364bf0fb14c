"""Middleware of the shared kernel: the request context (client address) for the audit log,
rate-limit refusals, and the security headers every answer carries (Content-Security-Policy,
Cache-Control)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render

from pfdo.common import context
from pfdo.common.clientip import client_ip
from pfdo.common.http import json_error_response
from pfdo.common.ratelimit import RateLimited, wait_text


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = context.RequestContext(
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            request_id=uuid.uuid4().hex,
        )
        with context.bound(ctx):
            return self.get_response(request)


class RateLimitMiddleware:
    """A `RateLimited` raised by a page's service becomes the 429 page (or the API error body
    for a plain Django view under /api/; DRF views answer through their exception handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RateLimited):
            return too_many_requests(request, exception)
        return None


def too_many_requests(request, exc: RateLimited) -> HttpResponse:
    """429 with Retry-After: the error body under /api/, else the page with the time to retry."""
    if request.path.startswith("/api/"):
        response = json_error_response("throttled", 429, exc.message)
    else:
        response = render(
            request, "429.html", {"wait": wait_text(exc.wait), "message": exc.message}, status=429
        )
    response["Retry-After"] = str(exc.wait)
    return response


def policy_header(policy: dict[str, list[str]]) -> str:
    """{"script-src": ["'self'"], …} → "script-src 'self'; …" (a directive without sources
    is written alone, as `upgrade-insecure-requests`)."""
    return "; ".join(" ".join([name, *sources]) for name, sources in policy.items())


# The attribute a view (or this middleware) sets on a response to extend the policy for that
# answer only: {"style-src": ["'unsafe-inline'"]} adds to the directive, never replaces it.
CSP_EXTRA = "csp_extra"
# DRF's browsable API (its pages, not the JSON answers) is Bootstrap markup with style=""
# attributes and a <style> of its code highlighter; its scripts are all files.
BROWSABLE_API_EXTRA = {"style-src": ["'unsafe-inline'"]}


def _extra_for(response) -> dict[str, list[str]]:
    extra = getattr(response, CSP_EXTRA, None)
    if extra is not None:
        return extra
    renderer = getattr(response, "accepted_renderer", None)
    if getattr(renderer, "format", None) == "api":
        return BROWSABLE_API_EXTRA
    return {}


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every answer (settings.PFDO_CONTENT_SECURITY_POLICY) and
    `Cache-Control: no-store` on every answer of the application.

    No page or API answer may be kept by a browser's disk cache or a proxy: signed-in pages and
    API answers carry personal data, and anonymous pages do too (the public application form
    shown again with its errors holds the child's СНИЛС) and every page holds the browser's own
    CSRF token. Static files are answered by WhiteNoise before this middleware and keep their
    long caching. An anonymous page may opt in to caching by setting Cache-Control itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = dict(settings.PFDO_CONTENT_SECURITY_POLICY)
        self.header = policy_header(self.policy)
        self.report_only = getattr(settings, "PFDO_CSP_REPORT_ONLY", False)

    def __call__(self, request):
        response = self.get_response(request)
        name = (
            "Content-Security-Policy-Report-Only" if self.report_only else "Content-Security-Policy"
        )
        if name not in response:
            response[name] = self._policy_for(response)
        user = getattr(request, "user", None)
        personal = request.path.startswith("/api/") or bool(user and user.is_authenticated)
        cache = response.get("Cache-Control", "")
        if "no-store" not in cache and (personal or not cache):
            response["Cache-Control"] = "no-store"
        return response

    def _policy_for(self, response) -> str:
        extra = _extra_for(response)
        if not extra:
            return self.header
        policy = {name: list(sources) for name, sources in self.policy.items()}
        for name, sources in extra.items():
            policy.setdefault(name, list(self.policy.get("default-src", [])))
            policy[name] += [s for s in sources if s not in policy[name]]
        return policy_header(policy)
