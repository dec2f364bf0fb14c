"""Idempotency-Key for mutating API calls: a repeat returns the first answer; the same key
with a different request is 409; a key whose first call is still running is 409 too.

Answers below 500 are kept for `PFDO_IDEMPOTENCY_TTL_HOURS` (default 24); a 5xx is not kept,
so the caller may retry with the same key — nor a 429 (too many attempts): nothing was done,
and the retry its Retry-After invites must be carried out, not answered 429 again.

A first call whose process dies (a web worker killed mid-request) leaves its claim behind with
no answer. On PostgreSQL the call holds a session-level advisory lock on its key while it runs,
and the database lets go of it when the session ends — once the dead call's transaction is
rolled back. So a retry that finds a claim without an answer and can take the lock knows its
owner is gone, and carries the call out itself; one that cannot take it is told the call is
still running. (Elsewhere — SQLite, the single-process demo — such a claim waits out the TTL.)

A malformed key is refused with 400 `invalid_idempotency_key`, but only after the call would
otherwise have been carried out: authentication and permissions (401/403) and the method (405)
answer first. The middleware claims nothing for such a key and marks the request; for an API
view `IdempotencyKeyCheck` (one of DRF's throttle classes, the last step of `APIView.initial`)
raises the 400 once the method has a handler, so no handler ever runs under a malformed key.
Anything else under /api/ that is not such a view is refused by the middleware before it runs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import HttpResponse
from django.urls import Resolver404, get_resolver

from pfdo.common import clock

# The rules of a key, its 400 and its check inside the views live where DRF's settings can
# import them without the models.
from pfdo.common.api.idempotency_key import (  # noqa: F401 - KEY_PATTERN, MAX_KEY_LENGTH re-exported
    HEADER,
    INVALID_MARK,
    KEY_MESSAGE,
    KEY_PATTERN,
    MAX_KEY_LENGTH,
    IdempotencyKeyCheck,
    valid_key,
)
from pfdo.common.clientip import client_ip
from pfdo.common.http import json_error_response
from pfdo.common.models import IdempotencyRecord

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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
        if not _has_a_handler(request):
            # 404 or 405 follows (after 401/403): nothing runs, so there is nothing to claim,
            # replay or refuse — a key used before for another call is no 409 here.
            return self.get_response(request)
        if not valid_key(key):
            # Nothing is claimed: the view refuses the key after its own checks (see
            # `process_view` and `IdempotencyKeyCheck`).
            request.META[INVALID_MARK] = True
            return self.get_response(request)
        scope = _scope(request)
        fingerprint = _sha(request.method.encode(), request.get_full_path().encode(), request.body)
        owner = _KeyLock(scope, key)
        if not owner.acquire():
            return _in_progress()
        try:
            replay = self._claim_or_replay(scope, key, fingerprint, held=owner.held)
            if replay is not None:
                return replay
            try:
                response = self.get_response(request)
            except Exception:
                IdempotencyRecord.objects.filter(scope=scope, key=key, status_code=None).delete()
                raise
            self._remember(scope, key, response)
            return response
        finally:
            owner.release()

    def process_view(self, request, view_func, view_args, view_kwargs):
        """A malformed key reaching anything but an API view that checks it itself: 400 now."""
        if request.META.get(INVALID_MARK) and not checks_the_key_itself(view_func):
            return _invalid_key_response()
        return None

    def _claim_or_replay(self, scope: str, key: str, fingerprint: str, *, held: bool):
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
            if held:
                # Every running call holds its key's lock, and we hold it: the call that
                # claimed the key died without an answer (its transaction rolled back with
                # its session). This call carries it out in its place.
                return None
            return _in_progress()
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


def _has_a_handler(request) -> bool:
    """Whether the path resolves to a view that serves the method (DRF answers 405 for one it
    does not serve; a plain Django view decides for itself).

    This resolves the path a second time, on purpose. Django resolves it only after every
    middleware's `__call__` has run its part before the view (`request.resolver_match` is
    still unset here), and hands the match to `process_view` alone. The claim must bracket
    the call — key lock taken, claim or replay, the view, the answer kept, the lock let go, in
    one try/finally — so it stays in `__call__`; moving it to `process_view` would split the
    lock's acquire and release across two hooks and put the claim after the inner middleware
    (the forced password change). One resolve costs some 0.15-0.3 ms, on keyed writes only."""
    try:
        match = get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
    except Resolver404:
        return False
    cls = getattr(match.func, "cls", None)
    if cls is None:
        return True
    method = request.method.lower()
    actions = getattr(match.func, "actions", None)
    if actions is not None:  # a ViewSet route: the methods its router mapped
        return method in actions
    return method in cls.http_method_names and hasattr(cls, method)


def checks_the_key_itself(view_func) -> bool:
    """A DRF view whose `initial()` runs `IdempotencyKeyCheck` (after authentication,
    permissions and before the handler)."""
    from rest_framework.views import APIView

    cls = getattr(view_func, "cls", None)
    return (
        isinstance(cls, type)
        and issubclass(cls, APIView)
        and any(
            isinstance(t, type) and issubclass(t, IdempotencyKeyCheck) for t in cls.throttle_classes
        )
    )


def _invalid_key_response():
    return json_error_response("invalid_idempotency_key", 400, KEY_MESSAGE)


def _in_progress():
    return json_error_response(
        "idempotency_in_progress", 409, "Такой же запрос ещё выполняется. Повторите позже."
    )


class _KeyLock:
    """PostgreSQL's session-level advisory lock on one (scope, key) while its call runs; held
    by the database session, so it ends with the process that took it. Elsewhere: no lock
    (`held` False) and every call may proceed to the claim."""

    def __init__(self, scope: str, key: str) -> None:
        digest = hashlib.sha256(f"pfdo-idempotency\x1f{scope}\x1f{key}".encode()).digest()
        self.lock_id = int.from_bytes(digest[:8], "big", signed=True)
        self.held = False

    def acquire(self) -> bool:
        """False when another call holds the key right now."""
        if connection.vendor != "postgresql":
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.lock_id])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.lock_id])
        except DatabaseError:
            pass  # the session is gone or its transaction failed: the lock went with it


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
