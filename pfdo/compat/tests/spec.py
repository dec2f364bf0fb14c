"""The observed description of the public ПФДО API v2 that the compatibility API answers to.

It is not copied into this project: the tests read it where the workspace keeps it
(`../shared/pfdo-api-v2/openapi.json` beside the checkout; another place with
PFDO_API_V2_SPEC). Its origin: the public repository mcvvvnukova-bit/traektoria, file
docs/pfdo-public-api.swagger.json (observed 2026-05-13). Missing, the contract tests fail — they
never skip.

`validate(operation, status, body)` checks one answer against the operation's declared
response for that status, OpenAPI 3.0's `nullable` read as JSON Schema's null type.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
from django.conf import settings

SPEC_ENV = "PFDO_API_V2_SPEC"


def spec_path() -> Path:
    explicit = os.environ.get(SPEC_ENV)
    if explicit:
        return Path(explicit)
    return Path(settings.BASE_DIR).parent / "shared" / "pfdo-api-v2" / "openapi.json"


@cache
def spec() -> dict:
    path = spec_path()
    assert path.is_file(), (
        f"The observed ПФДО API v2 description is not at {path}: put the workspace's "
        f"../shared beside the checkout or set {SPEC_ENV}."
    )
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str  # the original's template, e.g. /public/programs/{id}
    raw: dict = field(compare=False, hash=False, repr=False)

    @property
    def pattern(self) -> re.Pattern:
        """Matches a concrete path (without the prefix) of this operation."""
        return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(self.path)) + "$")

    @property
    def documented_expands(self) -> frozenset[str]:
        """The `expand` values the description names for this operation."""
        text = self.raw.get("description", "")
        found: set[str] = set()
        for match in re.finditer(r"expand=([a-z_,]+)", text):
            found.update(item for item in match.group(1).split(",") if item)
        return frozenset(found)


@cache
def operations() -> tuple[Operation, ...]:
    found = []
    for path, item in spec()["paths"].items():
        for method, raw in item.items():
            found.append(Operation(raw["operationId"], method.upper(), path, raw))
    return tuple(found)


def operation(operation_id: str) -> Operation:
    for op in operations():
        if op.operation_id == operation_id:
            return op
    raise KeyError(operation_id)


def _resolve(node, components: dict, seen: tuple = ()):
    """The node with every $ref inlined and `nullable` turned into a null type."""
    if isinstance(node, list):
        return [_resolve(item, components, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        _, _, kind, name = node["$ref"].split("/")
        assert node["$ref"] not in seen, f"recursive {node['$ref']}"
        target = components[kind][name]
        return _resolve(target, components, (*seen, node["$ref"]))
    out = {key: _resolve(value, components, seen) for key, value in node.items()}
    if out.pop("nullable", False):
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "type" not in out and "enum" not in out:
            out = {"anyOf": [out, {"type": "null"}]}
    out.pop("example", None)
    return out


def _all_required(node):
    """Every declared property of every object required: a field this system has no data for
    must be there with its empty value, never missing (issue 16)."""
    if isinstance(node, list):
        return [_all_required(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _all_required(value) for key, value in node.items()}
    if isinstance(out.get("properties"), dict) and out["properties"]:
        out["required"] = sorted(set(out.get("required", [])) | set(out["properties"]))
    return out


def response_schema(op: Operation, status: int) -> dict:
    """The JSON Schema of the operation's answer with this status (AssertionError when the
    description declares no such status). A success answer has every declared property
    required; an error answer is the original's Yii2 body, whose description merely lists
    keys that body may carry (`result_code`, `result_message` besides name/message/code/
    status), so there the declared types are checked, not their presence."""
    responses = op.raw["responses"]
    assert str(status) in responses, (
        f"{op.operation_id} answered {status}; the description declares {sorted(responses)}"
    )
    components = spec()["components"]
    response = _resolve(copy.deepcopy(responses[str(status)]), components)
    schema = response["content"]["application/json"]["schema"]
    return _all_required(schema) if 200 <= status < 300 else schema


# OpenAPI's "uri" cannot be checked by jsonschema without extra packages; a URL here is an
# absolute http(s) address, checked so.
_URI = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks("uri")
def _is_uri(value) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


def validate(op: Operation, status: int, body) -> None:
    """AssertionError naming the path in the body that breaks the description."""
    schema = response_schema(op, status)
    validator = jsonschema.Draft202012Validator(schema, format_checker=_FORMATS)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{op.operation_id} {status}: at {'/'.join(map(str, e.absolute_path)) or '(root)'}: "
        f"{e.message}"
        for e in errors[:10]
    )


def operation_of(method: str, path: str) -> Operation:
    """The operation a concrete request path (without the prefix) belongs to."""
    path = path.split("?", 1)[0]
    # A literal path wins over a template that also matches it, as in the original's routing:
    # /public/instructions/video-instructions is not /public/instructions/{id}.
    for op in sorted(operations(), key=lambda op: op.path.count("{")):
        if op.method == method and op.pattern.match(path):
            return op
    raise KeyError(f"{method} {path}")
