"""Sends a user with an issued password to the password change page before anything else."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from pfdo.common.http import json_error_response


class ForcePasswordChangeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def _allowed(self, path: str) -> bool:
        allowed = (
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
            # The version for the visually impaired: someone who needs it to read the password
            # form must be able to switch it on first.
            reverse("common:accessibility"),
            "/" + settings.STATIC_URL.lstrip("/"),
            "/api/v1/auth/",
        )
        return path.startswith(allowed)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and not self._allowed(request.path)
        ):
            if request.path.startswith("/api/"):
                return json_error_response(
                    "password_change_required",
                    403,
                    "Пароль был выдан вам для первого входа: смените его.",
                )
            messages.info(request, "Пароль был выдан вам для первого входа. Придумайте свой.")
            return redirect(f"{reverse('accounts:password_change')}?next={request.path}")
        return self.get_response(request)
