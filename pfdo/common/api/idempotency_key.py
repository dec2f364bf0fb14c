"""The rules of an Idempotency-Key and its refusal inside an API view.

Kept apart from `pfdo.common.idempotency` (which needs the models): DRF imports
`IdempotencyKeyCheck` from its settings while `rest_framework.views` is being imported.
"""

from __future__ import annotations

import re

from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
# A key: 1 to 200 printable ASCII characters (space included), neither starting nor ending
# with a space. The schema declares exactly this pattern; `valid_key` enforces exactly it.
KEY_PATTERN = r"^[!-~]([ -~]{0,198}[!-~])?$"
_KEY_RE = re.compile(KEY_PATTERN)
KEY_MESSAGE = (
    f"Заголовок {HEADER}: от 1 до {MAX_KEY_LENGTH} печатных символов ASCII, "
    "без пробелов в начале и в конце."
)
# The request's mark (in META): its key is malformed, to be refused after the checks that
# come first.
INVALID_MARK = "pfdo.invalid_idempotency_key"


def valid_key(key: str) -> bool:
    # fullmatch: "$" alone would let a key end in "\n".
    return _KEY_RE.fullmatch(key) is not None


class InvalidIdempotencyKey(exceptions.APIException):
    status_code = 400
    default_code = "invalid_idempotency_key"
    default_detail = KEY_MESSAGE


class IdempotencyKeyCheck(BaseThrottle):
    """Not a rate limit: DRF runs its throttle classes last in `APIView.initial()`, after
    content negotiation, authentication and permissions. A request the middleware marked (a
    malformed key) is refused here with 400 — when the view has a handler for its method;
    otherwise DRF goes on to answer 405. Either way no handler runs under a malformed key."""

    def allow_request(self, request, view) -> bool:
        if request.META.get(INVALID_MARK):
            method = request.method.lower()
            if method in view.http_method_names and getattr(view, method, None) is not None:
                raise InvalidIdempotencyKey()
        return True
