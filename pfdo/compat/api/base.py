"""The base of every compatibility view: anonymous, JSON only, the original's envelopes.

- Success: `ok(data)` → `{"data": …, "result_code": "FLSCS", "result_message": "Полный успех"}`.
- Failure: a `CompatError` (or anything DRF raises: a bad body, a wrong method) becomes the
  original's error envelope with its status; an unexpected exception is logged with its
  traceback and answered 500 with the envelope, never a page or a trace.
- No login and no cookies are read (the original is public; a token sent along is ignored),
  so there is nothing to forge and no CSRF check to pass.
- Every request counts against the client address (limit `compat_ip`): the API is open, a
  flood from one address waits (429 with Retry-After) instead of loading the database.
"""

from __future__ import annotations

import logging

from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from pfdo.common import context, ratelimit
from pfdo.common.api.parsers import JSONParser
from pfdo.common.errors import DomainError, ValidationFailed
from pfdo.compat.api.errors import MESSAGES, CompatError, Invalid, error_body
from pfdo.compat.api.params import Params
from pfdo.compat.api.schema import CompatAutoSchema

logger = logging.getLogger("pfdo.compat")

SUCCESS_CODE = "FLSCS"
SUCCESS_MESSAGE = "Полный успех"


def ok(data, *, status: int = 200) -> Response:
    return Response(
        {"data": data, "result_code": SUCCESS_CODE, "result_message": SUCCESS_MESSAGE},
        status=status,
    )


class AlwaysJSON(BaseContentNegotiation):
    """The original answers JSON whatever `Accept` says; so does this."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if parser.media_type.split(";")[0] == (request.content_type or "").split(";")[0]:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CompatView(APIView):
    authentication_classes: tuple = ()
    permission_classes = (AllowAny,)
    renderer_classes = (JSONRenderer,)
    parser_classes = (JSONParser, FormParser)
    content_negotiation_class = AlwaysJSON
    schema = CompatAutoSchema()
    # The schema's errors are this API's envelopes (CompatAutoSchema), not the v1 error body.
    shared_error_body = False
    # Ask these in `get`/`post` as self.params.
    params: Params

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.params = Params(request.query_params)
        ip = context.current().ip
        if ip is not None:
            ratelimit.hit(("compat_ip", f"ip:{ip}"))

    def handle_exception(self, exc):
        response = compat_exception_response(exc)
        if response is None:
            logger.exception("compat API: unexpected error", exc_info=exc)
            response = Response(error_body(500, MESSAGES[500]), status=500)
        response.exception = True
        return response


def compat_exception_response(exc) -> Response | None:
    """The envelope for a failure this API knows; None for a bug."""
    if isinstance(exc, CompatError):
        return Response(exc.body(), status=exc.status, headers=exc.headers)
    if isinstance(exc, ValidationFailed):
        return compat_exception_response(Invalid(exc.fields or {"non_field_errors": [exc.message]}))
    if isinstance(exc, DomainError):
        # A service's refusal: its status (404, 409, …) with its Russian message.
        return Response(error_body(exc.status, exc.message), status=exc.status)
    if isinstance(exc, ratelimit.RateLimited):
        return Response(
            error_body(429, exc.message), status=429, headers={"Retry-After": str(exc.wait)}
        )
    if isinstance(exc, exceptions.ValidationError):
        return compat_exception_response(Invalid(_fields(exc.detail)))
    if isinstance(exc, exceptions.ParseError):
        return Response(error_body(400, "Тело запроса не является корректным JSON."), status=400)
    if isinstance(exc, exceptions.APIException):
        status = exc.status_code
        headers = {}
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        message = MESSAGES.get(status, MESSAGES[400])
        return Response(error_body(status, message), status=status, headers=headers)
    return None


def _fields(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            messages = value if isinstance(value, list) else [value]
            out[str(key)] = [str(item) for item in messages]
        return out
    messages = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(item) for item in messages]}
