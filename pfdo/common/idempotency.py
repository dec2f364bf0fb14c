"""Idempotency-Key for mutating API calls: a repeat returns the first answer; the same key
with a different request is 409; a key whose first call is still running is 409 too.

Answers below 500 are kept for `PFDO_IDEMPOTENCY_TTL_HOURS` (default 24); a 5xx is not kept,
so the caller may retry with the same key — nor a 429 (too many attempts): nothing was done,
and the retry its Retry-After invites must be carried out, not answered 429 again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse

from pfdo.common import clock
from pfdo.common.clientip import client_ip
from pfdo.common.http import json_error_response
from pfdo.common.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 200


def _sha(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        digest.update(b"\x1f")
    return digest.hexdigest()


def _scope(request) -> str:
    """Whose key it is: the bearer token, else the session, else the client address."""
    auth = request.headers.get("Authorization", "")
    if auth:
        return _sha(b"auth", auth.encode())
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    if session:
        return _sha(b"session", session.encode())
    return _sha(b"anonymous", (client_ip(request) or "").encode())


def _ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "PFDO_IDEMPOTENCY_TTL_HOURS", 24))


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method not in MUTATING or not request.path.startswith("/api/"):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return json_error_response(
                "invalid_idempotency_key",
                400,
                f"Заголовок {HEADER}: от 1 до {MAX_KEY_LENGTH} печатных символов.",
            )
        scope = _scope(request)
        fingerprint = _sha(request.method.encode(), request.get_full_path().encode(), request.body)
        replay = self._claim_or_replay(scope, key, fingerprint)
        if replay is not None:
            return replay
        try:
            response = self.get_response(request)
        except Exception:
            IdempotencyRecord.objects.filter(scope=scope, key=key, status_code=None).delete()
            raise
        self._remember(scope, key, response)
        return response

    def _claim_or_replay(self, scope: str, key: str, fingerprint: str):
        IdempotencyRecord.objects.filter(
            scope=scope, key=key, created_at__lt=clock.now() - _ttl()
        ).delete()
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(scope=scope, key=key, fingerprint=fingerprint)
            return None
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if record is None:  # the first call failed and let go of the key just now
            return json_error_response(
                "idempotency_retry", 409, "Повторите запрос: предыдущая попытка не удалась."
            )
        if record.fingerprint != fingerprint:
            return json_error_response(
                "idempotency_key_reused",
                409,
                f"Этот {HEADER} уже использован для другого запроса.",
            )
        if record.status_code is None:
            return json_error_response(
                "idempotency_in_progress", 409, "Такой же запрос ещё выполняется. Повторите позже."
            )
        response = HttpResponse(
            bytes(record.body), status=record.status_code, content_type=record.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response

    def _remember(self, scope: str, key: str, response) -> None:
        records = IdempotencyRecord.objects.filter(scope=scope, key=key, status_code=None)
        if (
            response.status_code >= 500
            or response.status_code == 429
            or getattr(response, "streaming", False)
            or getattr(response, NOT_KEPT_ATTRIBUTE, False)
        ):
            records.delete()
            return
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        records.update(
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=_without_secrets(response),
        )


SECRET_ATTRIBUTE = "idempotency_secret_keys"  # noqa: S105 - an attribute name
NOT_KEPT_ATTRIBUTE = "idempotency_not_kept"


def not_kept(response):
    """Keep no copy of this answer: a look-up sent by POST (so that a child's name stays out of
    URLs) changes nothing a retry could repeat, and its answer — where a child is enrolled, an
    application's status — must not sit in the database for a day. A repeat with the same key
    is a new look-up, counted in its limits and recorded like any other."""
    setattr(response, NOT_KEPT_ATTRIBUTE, True)
    return response


def mark_secret(response, *keys: str):
    """Keep the named top-level JSON keys (an issued password, a token) out of the stored answer.

    A replay then answers `null` for them: a secret shown once is never kept in the
    database for a day.
    """
    setattr(response, SECRET_ATTRIBUTE, keys)
    return response


def _without_secrets(response) -> bytes:
    keys = getattr(response, SECRET_ATTRIBUTE, ())
    if not keys:
        return response.content
    try:
        data = json.loads(response.content)
    except ValueError:
        return b""
    if isinstance(data, dict):
        for key in keys:
            if key in data:
                data[key] = None
    return json.dumps(data, ensure_ascii=False).encode()
