"""Middleware: the request context (client address) for the audit log; rate-limit refusals."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.shortcuts import render

from pfdo.common import context
from pfdo.common.http import json_error_response
from pfdo.common.ratelimit import RateLimited, wait_text


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = context.RequestContext(
            ip=request.META.get("REMOTE_ADDR") or None,
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
