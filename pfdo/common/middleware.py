"""Middleware that binds the request context (client address) for the audit log."""

from __future__ import annotations

import uuid

from pfdo.common import context


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
