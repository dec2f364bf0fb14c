"""The API contract run (schemathesis), shared by the tests of test_schemathesis.py.

The schema is the one the application serves at /api/schema/; requests go in-process through
the Django WSGI application, against the demo (without its generated catalogue) seeded once
for the module in a transaction rolled back at its end (conftest.py). Each operation's test
runs in its own savepoint (`db`), so what one operation writes is gone before the next.

What a client's fuzzer does, in one pass: every schemathesis check, the examples, coverage
(boundary values, missing and unexpected parameters, unsupported methods) and fuzzing phases,
schema-valid and schema-violating data, and the stateful phase (chains of calls along the
links schemathesis infers). Every request is sent as one of the roles — anonymous or a demo
login's bearer token — picked from a hash of the request itself: every role meets every
operation, the same request always goes as the same role (so Hypothesis can replay and shrink
a failure), and the run costs no more than one role's.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from contextlib import contextmanager

import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api_contract.shards import dealt_to_this_shard

SCHEMA_URL = "/api/schema/?format=json"
ERROR_STATUSES = {"400", "401", "403", "404", "409", "429"}
APP = get_wsgi_application()

# The system's own API; the ПФДО API v2 compatibility section of the same schema has its own
# error envelope and no login (test_compat_operation).
V1_PATHS = r"^/api/v1/"
REVOKE_TOKEN = "DELETE /api/v1/auth/token/"
COMPAT_PATHS = "/" + django_settings.PFDO_COMPAT_API_PREFIX

# The demo logins and the one role each holds (the superuser holds none).
LOGINS = {
    "parent": "parent",
    "provider": "provider_staff",
    "operator": "operator",
    "payer": "payer",
    "expert": "expert",
    "region": "regional_admin",
    "admin": None,
}
ROLES = ("anonymous", *LOGINS)

# `make test` runs a bounded contract (minutes of CI); `make soak-contract` multiplies the
# fuzzing examples and the stateful scenarios (PFDO_CONTRACT_SCALE=10).
SCALE = max(1, int(os.environ.get("PFDO_CONTRACT_SCALE", "1")))
FUZZ_EXAMPLES = 8 * SCALE
STATEFUL_SCENARIOS = 40 * SCALE

CONFIG = schemathesis.Config.from_dict(
    {
        # Every phase and every check schemathesis has, with both kinds of data;
        # positive_data_acceptance runs inside `schema_valid_data_is_accepted` below.
        "generation": {"mode": "all"},
        "phases": {"stateful": {"max-steps": 6}},
        "checks": {"positive_data_acceptance": {"enabled": False}},
    }
)

# What a schema cannot promise: that the object a request names exists and is the caller's to
# use (a group id, a municipality code, an operator id), or that a password is the right one.
# A schema-valid request refused for that alone — 400 (422 in the ПФДО API v2 section) whose
# every message says so — is accepted data, as 404 is for an id in the path.
_ONLY_THE_WORLD_SAYS_NO = re.compile(
    r"не найден|не существует|недоступн|нет\.?$|^такого .* нет|нет среди|вы не сотрудник|неверн",
    re.IGNORECASE,
)


# What no schema can state, named narrowly (docs/decisions.md, "Request bodies"): per operation,
# a field and the refusal of it that depends on something JSON Schema has no words for — the
# content of an uploaded file, a relation between two fields, today's date, a sum still owed.
_LESSON_ENDS_AFTER_IT_STARTS = re.compile(r"^Занятие должно заканчиваться позже, чем начинается\.$")
# Fields of the items of a list are named with `*` for the index ("schedule.*.ends_at").
_BEYOND_A_SCHEMA: dict[str, dict[str, re.Pattern]] = {
    # A file's name and content (a table of the right columns) are read, not described.
    "POST /api/v1/reports/population/import/": {"file": re.compile(".")},
    "POST /api/v1/financing-periods/": {
        "ends_on": re.compile(r"^Окончание периода должно быть позже начала\.$"),
    },
    "PATCH /api/v1/financing-periods/{id}/": {
        "ends_on": re.compile(r"^Окончание периода должно быть позже начала\.$"),
    },
    # A day the calendar lacks, a moment before year 1 in UTC (MOMENT_PATTERN says the rest).
    "GET /api/v1/audit/actions/": {
        name: re.compile(r"^(Такого дня нет в календаре|Дата вне допустимого диапазона)\.$")
        for name in ("since", "until")
    },
    # Each child once in a lesson's marks: items unique by one of their fields (JSON Schema's
    # uniqueItems compares whole items).
    "POST /api/v1/attendance/": {"marks": re.compile(r"^Договор указан дважды: ")},
    # A category's two age bounds sent together, the upper not above the lower (one bound
    # refused by the stored other is a 409 category_conflict).
    "POST /api/v1/financing-periods/{id}/nominal-categories/": {
        "age_to_months": re.compile(r"^Верхняя граница возраста должна быть больше нижней\.$"),
    },
    "PATCH /api/v1/financing-periods/{id}/nominal-categories/{category_id}/": {
        "age_to_months": re.compile(r"^Верхняя граница возраста должна быть больше нижней\.$"),
    },
    # Reference data: what the production calendar already says of a day.
    "POST /api/v1/calendar-days/": {
        "is_working": re.compile(
            r"^По производственному календарю \d{2}\.\d{2}\.\d{4} и так (рабочий|выходной) день\.$"
        ),
    },
    # A programme only paid cannot be in the budget registry, both sent in one body (the
    # stored registry or certification refusing it is a 409 paid_only_refused).
    "POST /api/v1/programs/{id}/set-registry/": {
        "paid_only": re.compile(r"^Программа бюджетного реестра не может быть только платной\.$"),
    },
    # Pairs of one body: dates, ages, numbers of children, a lesson's start and end, a group's
    # lessons among themselves (one of a pair refused by the stored other is a 409).
    **{
        label: {
            "ends_on": re.compile(
                r"^(Окончание занятий должно быть позже начала|Группа не может заниматься "
                r"дольше трёх лет: проверьте даты|Укажите обе даты: начало и окончание)\.$"
            ),
            "starts_on": re.compile(r"^Укажите обе даты: начало и окончание\.$"),
            "schedule.*.starts_at": re.compile(r"^Занятия этой группы пересекаются между собой: "),
            "schedule.*.ends_at": _LESSON_ENDS_AFTER_IT_STARTS,
        }
        for label in ("POST /api/v1/groups/", "PATCH /api/v1/groups/{id}/")
    },
    **{
        label: {
            "max_children": re.compile(
                r"^Наибольшее число детей не может быть меньше наименьшего\.$"
            )
        }
        for label in ("POST /api/v1/modules/", "PATCH /api/v1/modules/{id}/")
    },
    **{
        label: {
            "age_to_months": re.compile(
                r"^(Верхняя граница возраста не может быть меньше нижней|Укажите обе границы "
                r"возраста)\.$"
            ),
            "age_from_months": re.compile(r"^Укажите обе границы возраста\.$"),
        }
        for label in ("POST /api/v1/programs/", "PATCH /api/v1/programs/{id}/")
    },
    "POST /api/v1/lessons/{id}/move/": {"ends_at": _LESSON_ENDS_AFTER_IT_STARTS},
    # One number twice within one batch of old ПФДО ids (a number another programme already
    # holds is a 409 aliases_conflict).
    "POST /api/v1/program-aliases/": {
        "aliases.*.program": re.compile(
            r"^Программе № \d+ уже дан номер \d+ в строке \d+; у программы один номер ПФДО\.$"
        ),
        "aliases.*.pfdo_id": re.compile(r"^Номер \d+ уже дан программе № \d+ в строке \d+\.$"),
    },
    # Fields required of some callers only: a provider's staff look a certificate up by its
    # number and the child's surname (officials by the number); an official filing in person
    # names the parent (a parent filing online is the parent).
    "POST /api/v1/certificates/lookup/": {"surname": re.compile(r"^Введите фамилию ребёнка\.$")},
    "POST /api/v1/certificate-applications/": {
        "parent": re.compile(
            r"^(Укажите родителя: id или логин, или фамилию и имя нового законного "
            r"представителя|Укажите либо существующего родителя, либо данные нового, не оба)\.$"
        ),
    },
    # The date the contracts end, which only one of the two decisions takes, not before today.
    "POST /api/v1/providers/{id}/exclude/": {
        "terminate_on": re.compile(
            r"^(Дата нужна, только если договоры расторгаются; иначе оставьте поле пустым|"
            r"Укажите дату расторжения договоров|Дата расторжения не может быть в прошлом: "
            r"выберите \d{2}\.\d{2}\.\d{4} или позже)\.$"
        ),
    },
    "POST /api/v1/payments/": {
        "paid_on": re.compile(r"^Дата платежа не может быть в будущем\.$"),
        "amount_kopecks": re.compile(r"^Осталось оплатить "),
    },
}


# Who must name the provider of a new programme: everyone but the staff of exactly one
# organisation (a schema cannot make a field required for some callers only).
_BEYOND_A_SCHEMA["POST /api/v1/programs/"]["provider"] = re.compile(r"^Укажите поставщика\.$")


def _exempt_field(name: str) -> str:
    """An item's field of a list in the body ("schedule.3.ends_at") under its entry's name
    ("schedule.*.ends_at"): what is exempt of one item is exempt of each."""
    return re.sub(r"\.\d+(?=\.|$)", ".*", name)


def _beyond_a_schema(label: str, body) -> tuple[bool, object]:
    """(whether every field error of `body` is one a schema cannot state for `label`, the body
    with those errors taken out)."""
    exempt = _BEYOND_A_SCHEMA.get(label)
    if not exempt or not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return False, body

    def is_exempt(name: str, message) -> bool:
        pattern = exempt.get(_exempt_field(name))
        return bool(pattern and pattern.search(str(message)))

    fields = {
        name: [m for m in messages if not is_exempt(name, m)]
        for name, messages in (body["error"].get("fields") or {}).items()
    }
    fields = {name: messages for name, messages in fields.items() if messages}
    had_fields = bool(body["error"].get("fields"))
    return had_fields and not fields, {"error": {**body["error"], "fields": fields}}


# Django's URL and e-mail validators check a host and a domain that JSON Schema's `uri` and
# `email` formats do not ("ratings:rate" is a URI; it is no web address). The schema says
# `format: uri` / `email`; the stricter check is the server's, with Django's own message.
_STRICTER_FORMATS = re.compile(r"^Введите правильный (URL|адрес электронной почты)\.$")


def _refusal_messages(body) -> list[str]:
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("error"), dict):  # {"error": {"code", "message", "fields"}}
        fields = body["error"].get("fields") or {}
        return [m for ms in fields.values() for m in ms] or [body["error"].get("message", "")]
    if isinstance(body.get("errors"), dict):  # the v2 section's 422 VAL01
        return [m for ms in body["errors"].values() for m in ms]
    return [body.get("message", "")]  # the v2 section's {"name", "message", "code", "status"}


@schemathesis.check
def schema_valid_data_is_accepted(ctx, response, case):
    """schemathesis' positive_data_acceptance, except for the refusal a schema cannot foresee
    (see _ONLY_THE_WORLD_SAYS_NO): every other 400 of schema-valid data is a contract bug."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code in (400, 422):
            try:
                exempt, body = _beyond_a_schema(case.operation.label, json.loads(response.content))
                messages = _refusal_messages(body)
            except ValueError:
                exempt, messages = False, []
            if exempt:
                return None
            if messages and all(
                _ONLY_THE_WORLD_SAYS_NO.search(str(m)) or _STRICTER_FORMATS.search(str(m))
                for m in messages
            ):
                return None
        raise


full_schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, APP, config=CONFIG)


# This process's share of the operations (tests/api_contract/shards.py).
@functools.cache
def _labels() -> list[str]:
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    paths = full_schema.raw_schema["paths"]
    return [f"{m.upper()} {path}" for path, item in paths.items() for m in item if m in methods]


def _v1_in_this_shard(ctx) -> bool:
    return bool(re.match(V1_PATHS, ctx.operation.path)) and dealt_to_this_shard(
        ctx.operation.label, _labels()
    )


def compat_in_this_shard(ctx) -> bool:
    return ctx.operation.path.startswith(COMPAT_PATHS) and dealt_to_this_shard(
        ctx.operation.label, _labels()
    )


# The system's own API: its operations (this shard's share), and all of them for the chains.
v1_schema = full_schema.include(path_regex=V1_PATHS)
# (One filter each: schemathesis keeps only the last of chained `include`s of a function.)
schema = full_schema.include(func=_v1_in_this_shard)

# `make test` replays the same cases every run (a red CI is a change's, not a new seed's);
# `make soak-contract` draws fresh ones each time.
DERANDOMIZE = SCALE == 1

SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    # `db` is one transaction per operation, shared by its examples on purpose (login failures
    # pile up into the lockout, which is part of the contract: 429 is declared).
    suppress_health_check=list(HealthCheck),
)


@contextmanager
def requests_keep_the_test_connection():
    """What Django's test client does: a request must not close the connection under test.

    At the end of every request Django closes a connection that is not in autocommit mode,
    which the test's wrapping transaction never is; on PostgreSQL the rest of the test would
    then find the connection closed (the in-memory SQLite test database is never closed).
    """
    global _keeping
    _keeping += 1
    _keep_the_connection()
    try:
        yield
    finally:
        _keeping -= 1
        if not _keeping:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


_keeping = 0


def _keep_the_connection():
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)


def token_of(login: str) -> str:
    """A new bearer token through the API itself, from an address schemathesis never locks out
    (its token counters are reset: the revoking operation asks a fresh token per example)."""
    from pfdo.common import ratelimit
    from pfdo.demo.accounts import DEMO_PASSWORD

    ratelimit.reset("token_ip", "ip:192.0.2.10")
    ratelimit.reset("token_account", f"login:{login}")
    response = Client(REMOTE_ADDR="192.0.2.10").post(
        "/api/v1/auth/token/",
        {"login": login, "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    if _keeping:
        # Django's test client connects the closing handlers back after its request.
        _keep_the_connection()
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert token.startswith("pfdo_")
    return token


def seed_demo() -> dict[str, str]:
    """The demo without its generated catalogue, and a bearer token of each login."""
    from pfdo.demo.seed import seed

    seed("small", generated=False)
    return {login: token_of(login) for login in LOGINS}


def role_of(case) -> str:
    """The role a request goes as: a hash of the request, so the same request always goes as
    the same role and different requests spread over all of them."""
    body = case.body.hex() if isinstance(case.body, bytes) else case.body
    raw = json.dumps(
        [case.method, case.path, case.path_parameters, case.query, body, dict(case.headers or {})],
        sort_keys=True,
        default=repr,
    )
    return ROLES[int(hashlib.sha256(raw.encode()).hexdigest(), 16) % len(ROLES)]


class Credentials:
    """The bearer header of each role. The tokens the module's demo was seeded with, except for
    the call that revokes the token it is sent with: that one gets a fresh token each time."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    def headers(self, case, role: str) -> dict[str, str]:
        if role == "anonymous" or _sends_its_own_wrong_authorization(case):
            return {}
        token = self.tokens[role]
        if case.operation.label == REVOKE_TOKEN:
            token = token_of(role)
        return {"Authorization": f"Bearer {token}"}


def _sends_its_own_wrong_authorization(case) -> bool:
    """A negative case whose headers break the schema and carry their own Authorization: the
    role's token must not replace it. Replaced, the request was valid again, and a soak saw
    200 for "schema-violating" data (the other broken part, an empty `date_to`, is the absent
    value on the wire)."""
    meta = getattr(case, "meta", None)
    header = meta.components.get(ParameterLocation.HEADER) if meta is not None else None
    own = {name.lower() for name in (case.headers or {})}
    return header is not None and header.mode.is_negative and "authorization" in own


def call_as_its_role(case, credentials: Credentials) -> None:
    role = role_of(case)
    with requests_keep_the_test_connection():
        case.call_and_validate(headers=credentials.headers(case, role))


@functools.cache
def served_schema() -> dict:
    """The schema as served (built once: it takes seconds and does not change in a run)."""
    response = Client().get(SCHEMA_URL)
    assert response.status_code == 200
    return response.json()
